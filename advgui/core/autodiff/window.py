"""Window arithmetic shared by the convolution and pooling backward rules."""

from __future__ import annotations

from typing import Any

import numpy as np


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def window_pads(attrs: dict[str, Any], in_size: list[int], kernel: list[int],
                strides: list[int], dilations: list[int]) -> list[int]:
    """Explicit [begin..., end...] pads, resolving auto_pad the way ONNX defines it."""
    n = len(kernel)
    auto = _text(attrs.get("auto_pad", "NOTSET"))
    if auto in ("NOTSET", ""):
        return list(attrs.get("pads") or [0] * (2 * n))
    if auto == "VALID":
        return [0] * (2 * n)
    begins, ends = [], []
    for size, k, s, d in zip(in_size, kernel, strides, dilations):
        out = -(-size // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
        small, big = total // 2, total - total // 2
        begins.append(small if auto == "SAME_UPPER" else big)
        ends.append(big if auto == "SAME_UPPER" else small)
    return begins + ends


def transpose_pads(in_size: list[int], out_size: list[int], kernel: list[int],
                   strides: list[int], dilations: list[int],
                   pads: list[int]) -> tuple[list[int], list[int]]:
    """Pads and output_padding of the ConvTranspose that maps an output gradient back to in_size.

    A ceil-mode window may reach past the padded input; the transposed op then crops more at the
    end instead of needing a negative output padding.
    """
    n = len(kernel)
    begins, ends, extra = list(pads[:n]), list(pads[n:]), []
    for i in range(n):
        full = (out_size[i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1
        rest = in_size[i] - (full - begins[i] - ends[i])
        if rest < 0:
            ends[i] -= rest
            rest = 0
        extra.append(rest)
    return begins + ends, extra


def pool_counts(in_size: list[int], out_size: list[int], kernel: list[int], strides: list[int],
                pads: list[int], include_pad: bool) -> np.ndarray:
    """Divisor of every average-pool window (shape out_size)."""
    n = len(kernel)
    per_axis = []
    for i in range(n):
        lo, hi = (-pads[i], in_size[i] + pads[n + i]) if include_pad else (0, in_size[i])
        start = np.arange(out_size[i]) * strides[i] - pads[i]
        end = start + kernel[i]
        per_axis.append(np.minimum(end, hi) - np.maximum(start, lo))
    counts = per_axis[0].astype(np.float64)
    for axis in per_axis[1:]:
        counts = np.multiply.outer(counts, axis)
    return counts
