"""The colours (hex strings) and marker shapes advgui draws with, in the window and in the study's
figures alike: a method, tier or target looks the same on screen and in fragility.png."""

from __future__ import annotations

TIERS = {"high": "#2e9d5b", "medium": "#e0a321", "low": "#d0473c"}
METHODS = {"iterative": "#d0473c", "fast": "#2060d0", "pgd": "#2e8b57", "momentum": "#8e44ad",
           "square": "#e07b00",  # the gradient-free attack
           "noise": "#999999"}  # the control: grey, beside the attacks
OTHER = "#555555"  # a method this palette does not know (a later one)

# The probability charts: the clean image's class, the adversarial image's, the attack's target.
CLEAN = "#7f8c99"
ADVERSARIAL = "#d0473c"
TARGET = "#2060d0"

# Each target a marker shape, so that series of equal values stay apart; the names are neutral
# and each drawing library spells them its own way.
TARGET_SHAPES = {"inverse": "circle", "least-likely": "triangle", "least-likely-top5": "square",
                 "true": "diamond"}
MATPLOTLIB_MARKERS = {"circle": "o", "triangle": "^", "square": "s", "diamond": "D", "cross": "x"}
PYQTGRAPH_SYMBOLS = {"circle": "o", "triangle": "t", "square": "s", "diamond": "d", "cross": "x"}


def method_colour(method: str) -> str:
    return METHODS.get(method, OTHER)


def target_shape(target: str) -> str:
    return TARGET_SHAPES.get(target, "cross")
