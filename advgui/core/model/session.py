"""ONNX Runtime sessions with CUDA when it is present and works, else CPU, and why."""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass

import onnxruntime as ort

log = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda")

# ONNX Runtime lets cuDNN and cuBLAS use TF32 on Ampere and newer GPUs by default: float32
# convolutions with 10-bit mantissas, so scores and gradients would differ from the CPU's by
# about 1e-3 and 8-bit results could flip. A study must mean the same on either device.
CUDA_OPTIONS = {"use_tf32": "0"}


@dataclass(frozen=True)
class DeviceChoice:
    """The device a session really runs on, and why it is not the one asked for."""

    requested: str
    used: str
    reason: str = ""

    def describe(self) -> str:
        return self.used.upper() + (f" ({self.reason})" if self.reason else "")


def runtime_packages() -> list[str]:
    """The installed ONNX Runtime builds: onnxruntime-gpu (CUDA and CPU) or onnxruntime (CPU).

    Both provide the module `onnxruntime`, so more than one means the last installed won; a
    bundle without package metadata reports the module itself."""
    from importlib import metadata  # noqa: PLC0415

    found = []
    for name in ("onnxruntime-gpu", "onnxruntime"):
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        found.append(name)
    return found or ["onnxruntime"]


def describe_runtime() -> str:
    """One line: the ONNX Runtime build, its version and the providers it offers here, e.g.
    "onnxruntime-gpu 1.31.1, providers CUDA, CPU"."""
    packages = runtime_packages()
    providers = ", ".join(p.removesuffix("ExecutionProvider") for p in ort.get_available_providers())
    both = " (both installed: uninstall one, they share one module)" if len(packages) > 1 else ""
    return f"{' and '.join(packages)} {ort.__version__}{both}, providers {providers}"


def _options(weights: dict | None = None) -> ort.SessionOptions:
    opts = ort.SessionOptions()
    if weights:  # initializers marked external in the graph, given from memory (OrtValues)
        opts.add_external_initializers(list(weights), list(weights.values()))
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    # Several studies on one node (Ray tasks, a Slurm job with --cpus-per-task) each get their
    # share of the cores instead of one thread per core each.
    threads = os.environ.get("ADVGUI_THREADS", "")
    if threads.isdigit() and int(threads) > 0:
        opts.intra_op_num_threads = int(threads)
        opts.inter_op_num_threads = 1
    return opts


def check_device(device: str) -> str:
    """auto, cpu, cuda, or cuda:N (the N-th GPU of a multi-GPU node)."""
    if device in DEVICES or re.fullmatch(r"cuda:(0|[1-9]\d{0,2})", device or ""):
        return device
    raise ValueError(f"device must be one of {', '.join(DEVICES)} or cuda:N (e.g. cuda:1), "
                     f"got {device!r}")


def create_session(model: bytes | str, device: str = "auto",
                   weights: dict | None = None) -> tuple[ort.InferenceSession, DeviceChoice]:
    """Create a session on the device asked for; 'auto' falls back to CPU with the reason.

    ``weights``: name -> OrtValue for the initializers the graph marks external (a graph
    serialized without its weights; the caller keeps the values alive as long as the session).
    """
    check_device(device)
    gpu = int(device.split(":")[1]) if device.startswith("cuda:") else 0
    if device == "auto" or device.startswith("cuda"):
        # A missing CUDA library is expected on CPU machines: we report it once, in one line,
        # instead of onnxruntime's multi-line error on stderr.
        ort.set_default_logger_severity(4 if device == "auto" else 2)
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            reason = "this onnxruntime has no CUDA provider"
        else:
            try:
                session = ort.InferenceSession(
                    model, _options(weights),
                    providers=[("CUDAExecutionProvider", {**CUDA_OPTIONS, "device_id": str(gpu)}),
                               "CPUExecutionProvider"])
                if session.get_providers()[0] == "CUDAExecutionProvider":
                    return session, DeviceChoice(device, "cuda" if not gpu else f"cuda:{gpu}")
                reason = "CUDA provider could not start (no GPU or CUDA libraries)"
            except Exception as exc:  # onnxruntime raises plain RuntimeError/Fail subclasses
                reason = f"CUDA session failed: {str(exc).splitlines()[0][:200]}"
        if device != "auto":
            raise RuntimeError(f"CUDA was requested but is unavailable: {reason}")
        choice = DeviceChoice(device, "cpu", reason)
    else:
        choice = DeviceChoice(device, "cpu")
    return (ort.InferenceSession(model, _options(weights), providers=["CPUExecutionProvider"]),
            choice)


def probe_device(device: str = "auto") -> DeviceChoice:
    """The device a model would run on here, found by starting a one-node session on it (a
    driver or CUDA library that is missing shows here, not at the first study)."""
    from onnx import TensorProto, helper  # noqa: PLC0415

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "probe", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # readable by every onnxruntime the project allows (>= 1.18)
    return create_session(model.SerializeToString(), device)[1]
