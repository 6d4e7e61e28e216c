"""The study folder as a research record: the lock, identity, config and manifest, the CSV row log and its schema, atomic writes. Never imports onnxruntime."""
