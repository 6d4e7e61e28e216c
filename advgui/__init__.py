"""advgui: see how easily an image classifier is fooled by gradient-sign attacks.

The Python API (for notebooks and scripts; see advgui/api.py and docs/examples/):
load_model, classify, attack, run_attack, run_study, read_study. They are imported on first use,
so ``import advgui`` loads neither onnxruntime nor Qt.
"""

import os

__version__ = "0.1.0"

# onnxruntime 1.29+ on Linux and macOS records usage events (models, sessions, errors) in
# ~/.cache/Microsoft/DeveloperTools with a device id, and uploads them to Microsoft. A desktop
# research tool that promises no network at run time must not: off before any onnxruntime
# environment exists (the first session latches it). ORT_DISABLE_TELEMETRY=0 keeps it on.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

API = ("load_model", "classify", "attack", "run_attack", "run_study", "read_study", "Prediction",
       "StudyResults")
__all__ = ["__version__", *API]


def __getattr__(name: str):
    if name in API:
        from advgui import api  # noqa: PLC0415

        return getattr(api, name)
    raise AttributeError(f"module 'advgui' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
