"""Rows to numbers: statistics, the per-tier summary, fragility, tables and figures. Never imports onnxruntime."""
