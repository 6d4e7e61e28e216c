"""All backward rules, registered by importing their modules."""

from advgui.core.autodiff import elementwise, pool  # noqa: F401 (registers the rules)
from advgui.core.autodiff.helpers import RULES

# Ops whose outputs carry no gradient even when they read the input (shapes, indices).
NON_DIFFERENTIABLE = {"Shape", "Size", "ArgMax", "ArgMin", "Constant", "ConstantOfShape",
                      "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Not"}
SUPPORTED_OPS = sorted(RULES)
