"""Reverse-mode differentiation of ONNX graphs, emitting only standard ai.onnx operators.

``build_gradient_model`` turns a forward classifier into one graph that returns probabilities,
cross-entropy loss and the loss gradient with respect to the input image in a single run.
"""

from advgui.core.autodiff.build import (GradientSpec, UnsupportedModel, UnsupportedOperators,
                                        build_gradient_model)
from advgui.core.autodiff.table import SUPPORTED_OPS

__all__ = ["GradientSpec", "UnsupportedModel", "UnsupportedOperators", "build_gradient_model",
           "SUPPORTED_OPS"]
