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

# Where a chart holds several eps (the window's error-by-tier plot; the study's error_by_tier.png
# has a panel per eps and uses the same shapes), each eps has its own marker, in ascending order
# of eps, and each target its own line style: a legend then tells "eps 4" from "eps 8". With one
# eps the marker is the target's again (series_shape).
EPS_SHAPES = ("circle", "triangle", "square", "diamond", "cross")
TARGET_LINES = {"inverse": "solid", "least-likely": "dash", "least-likely-top5": "dot",
                "true": "dashdot"}
MATPLOTLIB_LINES = {"solid": "-", "dash": "--", "dot": ":", "dashdot": "-."}


def eps_shape(index: int) -> str:
    """The marker of the index-th eps of a study (in ascending order)."""
    return EPS_SHAPES[index % len(EPS_SHAPES)]


def target_line(target: str) -> str:
    return TARGET_LINES.get(target, "dashdot")


def series_shape(target: str, eps_index: int, eps_count: int) -> str:
    """The marker of a (target, eps) series: the eps's among several eps, else the target's."""
    return eps_shape(eps_index) if eps_count > 1 else target_shape(target)
