"""Why a model is fooled: input-gradient maps, Grad-CAM and per-block layer divergence.

Qt-free, on the same layer as the attacks; works on any ONNX classifier the gradient builder
differentiates (the divergence strip needs no gradient at all).
"""

from advgui.core.explain.explainer import TOP1, ExplainFrame, Explainer, ExplainUnavailable
from advgui.core.explain.graph_parts import Block, GraphParts, find_parts
from advgui.core.explain.maps import Divergence, ExplainMap

__all__ = ["TOP1", "Block", "Divergence", "ExplainFrame", "ExplainMap", "Explainer",
           "ExplainUnavailable", "GraphParts", "find_parts"]
