"""The registry of backward rules and the helpers every rule module shares.

A rule gets the output gradients (None where an output has none) and which inputs need one, and
returns one entry per input (None where not needed).
"""

from __future__ import annotations

from typing import Callable

import onnx

from advgui.core.autodiff.context import Context

Grads = list["str | None"]
Rule = Callable[[Context, onnx.NodeProto, Grads, list[bool]], Grads]
RULES: dict[str, Rule] = {}


def rule(*ops: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for op in ops:
            RULES[op] = fn
        return fn
    return register


def first(gouts: Grads) -> str:
    g = gouts[0]
    assert g is not None
    return g
