"""Gradient-sign attacks: one attack a module, all sharing the step record and the result."""

from advgui.core.attacks.base import AttackResult, StepRecord, finish
from advgui.core.attacks.fast import FastGradientSign
from advgui.core.attacks.iterative import IterativeGradientSign, kurakin_steps
from advgui.core.attacks.targets import Target, TargetKind

__all__ = ["AttackResult", "StepRecord", "finish", "FastGradientSign", "IterativeGradientSign",
           "kurakin_steps", "Target", "TargetKind"]
