"""Running a study: the engine's phases, attack batches, extras (transfer, destroy), shards, merge and the cost model."""
