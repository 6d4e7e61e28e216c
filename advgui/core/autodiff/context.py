"""What a backward rule may ask about the forward graph, and how it emits nodes."""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper


class UnsupportedModel(ValueError):
    """The forward model cannot be differentiated; the message names the node and the reason."""


EXTERNAL_MIN = 4096  # elements: smaller constants always stay in the graph
MEMORY = "advgui-memory"  # the external-data location of initializers handed over from memory


def external_stub(name: str, array: np.ndarray) -> onnx.TensorProto:
    """An initializer without its bytes: ONNX Runtime is given them from memory
    (create_session's ``weights``), so a large graph serializes in milliseconds."""
    stub = onnx.TensorProto(name=name, dims=array.shape,
                            data_type=helper.np_dtype_to_tensor_dtype(array.dtype),
                            data_location=onnx.TensorProto.EXTERNAL)
    for key, value in (("location", MEMORY), ("offset", "0"), ("length", str(array.nbytes))):
        entry = stub.external_data.add()
        entry.key, entry.value = key, value
    return stub


def describe(node: onnx.NodeProto) -> str:
    return f"node '{node.name or node.output[0]}' ({node.op_type})"


class Context:
    """Shapes, constants and node emission shared by every backward rule."""

    def __init__(self, model: onnx.ModelProto, shapes: dict[str, list[int | None]],
                 dtype: np.dtype, pinned: set[str] | None = None) -> None:
        self.model = model
        # Tensors whose gradient is read out (gradients with respect to an intermediate tensor):
        # each counts as one more reader, so no rule folds a ReLU's mask into its gradient.
        self.pinned = pinned or set()
        self.shapes = shapes
        self.dtype = np.dtype(dtype)
        # Converted on first use: most initializers (the weights) are never read here.
        self._tensors: dict[str, onnx.TensorProto] = {t.name: t for t in model.graph.initializer}
        for node in model.graph.node:
            if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
                self._tensors[node.output[0]] = node.attribute[0].t
        self._arrays: dict[str, np.ndarray] = {}
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0
        self.current: onnx.NodeProto | None = None
        self._readers: dict[str, int] | None = None
        self._producers: dict[str, onnx.NodeProto] | None = None
        # Tensors whose gradient already carries their ReLU's mask (see the Concat rule).
        self.premasked: set[str] = set()
        # Where large new constants go instead of the graph (None: into the graph).
        self.external: dict[str, np.ndarray] | None = None

    # -- emission -------------------------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"grad/{hint}_{self._count}"

    def op(self, op_type: str, inputs: list[str], n_out: int = 1, **attrs: Any) -> Any:
        outs = [self.fresh(op_type) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs, name=outs[0], **attrs))
        return outs[0] if n_out == 1 else outs

    def const(self, value: Any, dtype: Any = None, hint: str = "c") -> str:
        array = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        name = self.fresh(hint)
        if self.external is not None and array.size > EXTERNAL_MIN:
            self.external[name] = np.ascontiguousarray(array)
            self.initializers.append(external_stub(name, array))
        else:
            self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def ints(self, values: list[int]) -> str:
        return self.const(np.asarray(values, dtype=np.int64), np.int64, "ints")

    def zeros_like(self, x: str) -> str:
        return self.op("ConstantOfShape", [self.op("Shape", [x])],
                       value=numpy_helper.from_array(np.zeros(1, self.dtype)))

    def reshape_like(self, t: str, like: str) -> str:
        return self.op("Reshape", [t, self.op("Shape", [like])])

    # -- queries --------------------------------------------------------------------------------
    def shape(self, name: str) -> list[int | None]:
        if name not in self.shapes:
            raise UnsupportedModel(
                f"{self.where()}: the shape of tensor '{name}' cannot be inferred")
        return self.shapes[name]

    def static(self, name: str, dims: slice = slice(2, None)) -> list[int]:
        """Dims (spatial by default) that must be known at build time."""
        shape = self.shape(name)[dims]
        if any(d is None for d in shape):
            raise UnsupportedModel(
                f"{self.where()}: tensor '{name}' needs static dims {dims.start}.., got {shape}")
        return shape  # type: ignore[return-value]

    def constant(self, name: str) -> np.ndarray | None:
        if name not in self._arrays and name in self._tensors:
            self._arrays[name] = numpy_helper.to_array(self._tensors[name])
        return self._arrays.get(name)

    def add_constants(self, values: dict[str, np.ndarray]) -> None:
        """Values measured by running the model (batch-independent), for rules that need them."""
        self._arrays.update(values)

    def known_constants(self) -> set[str]:
        return set(self._tensors) | set(self._arrays)

    def producer(self, name: str) -> onnx.NodeProto | None:
        if self._producers is None:
            self._producers = {o: n for n in self.model.graph.node for o in n.output if o}
        return self._producers.get(name)

    def readers(self, name: str) -> int:
        """How many node inputs and graph outputs read this tensor."""
        if self._readers is None:
            counts: dict[str, int] = {}
            for n in self.model.graph.node:
                for i in n.input:
                    counts[i] = counts.get(i, 0) + 1
            for o in self.model.graph.output:
                counts[o.name] = counts.get(o.name, 0) + 1
            # (not `name`: the loop variable once rebound the argument, so the first call returned
            # the count of whichever pinned tensor the set yielded last, by the hash seed)
            for pinned in self.pinned:
                counts[pinned] = counts.get(pinned, 0) + 1
            self._readers = counts
        return self._readers.get(name, 0)

    def where(self) -> str:
        return describe(self.current) if self.current is not None else "model"

    def fail(self, reason: str) -> UnsupportedModel:
        return UnsupportedModel(f"{self.where()}: {reason}")


def attrs_of(node: onnx.NodeProto) -> dict[str, Any]:
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}
