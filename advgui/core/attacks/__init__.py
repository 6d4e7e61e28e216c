"""Gradient-sign attacks: one attack a module, all sharing the step record and the result."""

from advgui.core.attacks.base import AttackResult, StepRecord, finish
from advgui.core.attacks.fast import FastGradientSign
from advgui.core.attacks.iterative import IterativeGradientSign, kurakin_steps
from advgui.core.attacks.momentum import MomentumGradientSign
from advgui.core.attacks.pgd import ProjectedGradientDescent
from advgui.core.attacks.targets import Target, TargetKind

METHODS = ("fast", "iterative", "pgd", "momentum")
STEPPED = ("iterative", "pgd", "momentum")  # methods with a step size and a number of steps


def make_attack(method: str, eps: float, alpha: float | None = None, steps: int | None = None,
                seed: int = 0):
    """One attack of the family by name, with its paper's defaults where alpha/steps are None."""
    if method == "fast":
        return FastGradientSign(eps=eps)
    if method == "iterative":
        return IterativeGradientSign(eps=eps, alpha=alpha, steps=steps)
    if method == "pgd":
        return ProjectedGradientDescent(eps=eps, alpha=alpha, steps=steps, seed=seed)
    if method == "momentum":
        return MomentumGradientSign(eps=eps, alpha=alpha, steps=steps)
    raise ValueError(f"unknown method {method!r}; valid: {', '.join(METHODS)}")


__all__ = ["AttackResult", "StepRecord", "finish", "FastGradientSign", "IterativeGradientSign",
           "ProjectedGradientDescent", "MomentumGradientSign", "METHODS", "STEPPED",
           "make_attack", "kurakin_steps", "Target", "TargetKind"]
