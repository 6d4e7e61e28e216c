"""The explanation as pictures: heat-map overlays (numpy, for the window) and the CLI's figure.

A map is shown over a greyed copy of the photo it explains, in matplotlib's 'inferno' colour
scale (perceptually uniform, readable in grey): 0 is the photo, 1 the brightest yellow.
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np

from advgui.core.csv_text import csv_text
from advgui.core.explain.explainer import ExplainFrame
from advgui.core.explain.maps import Divergence, ExplainMap

OPACITY = 0.6  # of the heat map at 1.0; the photo shows through where the map is low


@lru_cache(maxsize=1)
def _inferno() -> np.ndarray:
    import matplotlib  # noqa: PLC0415 (the colour table only: nothing is drawn)

    return (matplotlib.colormaps["inferno"](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)


def overlay(photo: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The map [H, W] in 0..1 over a greyed photo [H, W, 3] uint8: an RGB uint8 image."""
    grey = photo.astype(np.float32).mean(axis=2, keepdims=True).repeat(3, axis=2) * 0.7
    heat = _inferno()[np.clip((values * 255).astype(np.int32), 0, 255)].astype(np.float32)
    weight = (OPACITY * np.clip(values, 0, 1))[..., None]
    return (grey * (1 - weight) + heat * weight).clip(0, 255).astype(np.uint8)


def map_title(m: ExplainMap) -> str:
    return f"{m.kind}: '{m.class_name}'\nat {m.layer}"


def explain_png(photo: np.ndarray, adversarial: np.ndarray, frame: ExplainFrame,
                clean_label: str, adversarial_label: str) -> bytes:
    """photo | adversarial | input-gradient map | Grad-CAM clean top-1 | Grad-CAM adv. top-1,
    each titled with what it is, and the normalisations in a footnote."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure  # noqa: PLC0415

    panels = [(photo, f"photo\ntop-1 '{clean_label}'"),
              (adversarial, f"adversarial\ntop-1 '{adversarial_label}'"),
              (overlay(adversarial, frame.gradient.values), map_title(frame.gradient))]
    notes = [f"input gradient: {frame.gradient.normalisation}"]
    for cam, whose in ((frame.cam_clean, photo), (frame.cam_adversarial, adversarial)):
        if cam is None:
            panels.append((np.full_like(photo, 255), "Grad-CAM: no spatial\nfeature map"))
        else:
            panels.append((overlay(whose, cam.values), map_title(cam)))
    if frame.cam_clean is not None:
        notes.append(f"Grad-CAM: {frame.cam_clean.normalisation}")
    fig = Figure(figsize=(3.0 * len(panels), 4.0), dpi=110, layout="constrained")
    fig.suptitle(f"'{clean_label}' -> '{adversarial_label}'", fontsize=12)
    for k, (image, title) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), k + 1)
        ax.imshow(image)
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    fig.supxlabel("; ".join(notes), fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


DIVERGENCE_COLUMNS = ("step", "image", "block", "op_type", "relative_l2", "cosine")


def divergence_rows(step: int, image: str, div: Divergence, ops: dict[str, str]) -> list[dict]:
    return [{"step": step, "image": image, "block": b, "op_type": ops.get(b, ""),
             "relative_l2": f"{r:.6g}", "cosine": f"{c:.6g}"}
            for b, r, c in zip(div.blocks, div.relative_l2, div.cosine)]


def divergence_csv(rows: list[dict]) -> str:
    return csv_text(DIVERGENCE_COLUMNS, rows)
