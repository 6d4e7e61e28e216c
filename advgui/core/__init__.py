"""The engine: models, gradient graphs, attacks, tiers, studies and reports. Never imports Qt."""
