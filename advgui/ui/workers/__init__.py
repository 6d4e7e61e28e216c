"""The window's background work, on one mechanism: superqt's workers (a generator run on a thread, cancelled between its yields, its results delivered by queued signals)."""
