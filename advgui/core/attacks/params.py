"""Validation of attack parameters, with the valid range in every message."""

from __future__ import annotations

import math

EPS_RANGE = (0.0, 255.0)
MAX_STEPS = 10_000


def _number(name: str, value: float) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return value


def check_eps(eps: float) -> float:
    eps = _number("eps", eps)
    if not 0.0 < eps <= 255.0:
        raise ValueError(f"eps must be in (0, 255] pixel levels, got {eps:g}")
    return eps


def check_alpha(alpha: float) -> float:
    alpha = _number("alpha (step size)", alpha)
    if not 0.0 < alpha <= 255.0:
        raise ValueError(f"alpha (step size) must be in (0, 255] pixel levels, got {alpha:g}")
    return alpha


def check_steps(steps: int) -> int:
    value = _number("steps", steps)
    if value != int(value) or not 1 <= value <= MAX_STEPS:
        raise ValueError(f"steps must be a whole number in 1-{MAX_STEPS}, got {steps}")
    return int(value)


def eps_units(eps: float, std: tuple[float, float, float]) -> str:
    """eps in the three units every report shows: 0-255, [0, 1] and model units."""
    model = ", ".join(f"{eps / s:.5g}" for s in std)
    return f"{eps:g}/255 = {eps / 255:.5g} in [0,1] = {model} model units"


def split_list(text: str) -> list[str]:
    """The one separator convention of every list a user types (eps values, transfer models,
    transformations; in the window and in advgui-cli alike): spaces, commas or semicolons, in
    any mix ("4 8", "4,8", "4, 8" and "4;8" are the same two values)."""
    return text.replace(";", " ").replace(",", " ").split()


def parse_eps_list(text: str) -> list[float]:
    """eps values in pixel levels from a typed list (split_list), each a number."""
    values = []
    for part in split_list(text):
        try:
            values.append(float(part))
        except ValueError:
            raise ValueError(f"ε {part!r} is not a number (pixel levels, e.g. 8 or 4 8 16)") from None
    return values
