"""Gradient-sign attacks and a gradient-free one (Square Attack): one attack a module, all
subclasses of :class:`Attack` sharing its checked entry, the step record and the result; the
registry makes them by name."""

from advgui.core.attacks.base import (Attack, AttackInvariantError, AttackResult, AttackRun,
                                      StepRecord, finish, run_to_end)
from advgui.core.attacks.fast import FastGradientSign
from advgui.core.attacks.iterative import IterativeGradientSign, kurakin_steps
from advgui.core.attacks.momentum import MomentumGradientSign
from advgui.core.attacks.noise import RandomSignNoise
from advgui.core.attacks.pgd import ProjectedGradientDescent
from advgui.core.attacks.square import SquareAttack
from advgui.core.attacks.registry import (ATTACKS, METHODS, STEPPED, attack_class,
                                          attack_from_settings, make_attack)
from advgui.core.attacks.targets import Target, TargetKind

__all__ = ["Attack", "AttackInvariantError", "AttackResult", "AttackRun", "StepRecord", "finish",
           "run_to_end", "FastGradientSign", "IterativeGradientSign", "ProjectedGradientDescent",
           "MomentumGradientSign", "RandomSignNoise", "SquareAttack", "ATTACKS", "METHODS",
           "STEPPED", "attack_class", "attack_from_settings", "make_attack", "kurakin_steps",
           "Target", "TargetKind"]
