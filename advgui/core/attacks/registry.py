"""The attacks by name: one table from method name to Attack class, and the factories.

``METHODS`` (the order of the CLI's choices, the window's menu and a study's jobs) and
``STEPPED`` are derived from the table, so a new attack is one module plus one line here.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping

from advgui.core.attacks.base import Attack
from advgui.core.attacks.fast import FastGradientSign
from advgui.core.attacks.iterative import IterativeGradientSign
from advgui.core.attacks.momentum import MomentumGradientSign
from advgui.core.attacks.noise import RandomSignNoise
from advgui.core.attacks.pgd import ProjectedGradientDescent
from advgui.core.attacks.square import SquareAttack

ATTACKS: Mapping[str, type[Attack]] = MappingProxyType({
    cls.name: cls for cls in (FastGradientSign, IterativeGradientSign, ProjectedGradientDescent,
                              MomentumGradientSign, RandomSignNoise, SquareAttack)})
METHODS: tuple[str, ...] = tuple(ATTACKS)
# methods with a step size and a number of steps
STEPPED: tuple[str, ...] = tuple(name for name, cls in ATTACKS.items() if cls.is_iterative)


def attack_class(name: str) -> type[Attack]:
    try:
        return ATTACKS[name]
    except KeyError:
        raise ValueError(f"unknown method {name!r}; valid: {', '.join(METHODS)}") from None


def make_attack(name: str, /, **params: float | int | None) -> Attack:
    """One attack of the family by name. A parameter given as None takes the paper's default;
    one the attack does not take is refused, naming those it does."""
    cls = attack_class(name)
    accepted = cls.hyperparameters()
    unknown = sorted(k for k, v in params.items() if k not in accepted)
    if unknown:
        raise ValueError(f"attack {name!r} takes {', '.join(accepted)}; "
                         f"not {', '.join(unknown)}")
    return cls(**{k: v for k, v in params.items() if v is not None})


def attack_from_settings(name: str, /, **settings: float | int | None) -> Attack:
    """One attack from settings shared by several methods (a study's or the CLI's eps, alpha,
    steps, queries and seed): each method takes those it has, so the fast method ignores alpha
    and steps, only a random start uses the seed and only Square Attack the query budget."""
    accepted = attack_class(name).hyperparameters()
    return make_attack(name, **{k: v for k, v in settings.items() if k in accepted})
