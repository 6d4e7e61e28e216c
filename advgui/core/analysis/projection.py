"""The feature projection: each clean image's and its adversarial's penultimate features
(features.npz) projected to 2-D by one PCA fitted on clean and adversarial together, an arrow
from each clean image to its adversarial, coloured by clean confidence tier. The figure
(feature_projection.png) has its record: feature_projection.csv (every arrow's coordinates) and
feature_projection.json (the tensor, the explained variance, what was left out and why)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from advgui.core.analysis import palette
from advgui.core.analysis.plots import _empty, _exclusive, _figure, _save
from advgui.core.records.features_file import FEATURES_FILE, read_features
from advgui.core.records.row_log import write_csv
from advgui.core.records.safe_write import atomic_write_json
from advgui.core.records.schema import eps_key
from advgui.core.tiers import Tier
from advgui.core.wording import count_noun

PROJECTION_FILES = ("feature_projection.png", "feature_projection.csv", "feature_projection.json")
PROJECTION_COLUMNS = ["file", "tier", "clean_top1", "clean_top1_name", "method", "target", "eps",
                      "adv_top1", "adv_top1_name", "clean_x", "clean_y", "adversarial_x",
                      "adversarial_y"]
MAX_PANELS = 6  # one panel per method x target x eps; more would be stamps
MAX_CLASSES_SHOWN = 5  # clean classes get a marker each only when they are this few


def pca_2d(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates [N, 2] on the two leading principal components of the centred vectors
    (numpy's SVD, float64), and the share of the total variance each explains. Fewer than two
    independent directions give zeros for the missing ones."""
    centred = vectors.astype(np.float64) - vectors.astype(np.float64).mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    total = float((s ** 2).sum())
    # a direction with no variance beyond float rounding (one image: one arrow) is no component
    k = int(min(2, np.sum(s > (s[0] if len(s) else 0) * 1e-7)))
    coords = np.zeros((len(vectors), 2))
    coords[:, :k] = centred @ vt[:k].T
    ratio = np.zeros(2)
    if total > 0:
        ratio[:k] = s[:k] ** 2 / total
    return coords, ratio


def _pairs(rows: list[dict], record) -> tuple[list[dict], int]:
    """The attack rows with both features recorded, and how many ok rows lack them."""
    ok = [r for r in rows if r["status"] == "ok" and r.get("adversarial_png")]
    if record is None:
        return [], len(ok)
    kept = [r for r in ok if record.clean_of(r) is not None and record.adversarial_of(r) is not None]
    return kept, len(ok) - len(kept)


def _why_empty(rows: list[dict], record, kept: list[dict], missing: int) -> str:
    if not rows:
        return "no attack rows: nothing to project"
    if not any(r["status"] == "ok" for r in rows):
        return ("its one attack row is an error" if len(rows) == 1 else
                f"all {len(rows):,} attack rows are errors") + ": nothing to project"
    if record is None:
        return (f"no {FEATURES_FILE} in this folder: the features were not recorded (a study "
                "run before advgui recorded them, or a merge of parts that did not all record "
                "them with one model)")
    if record.unavailable:
        return f"no features: {record.unavailable}"
    if not kept:
        return f"none of the {count_noun(missing, 'attack row')} has its features recorded"
    return ""


@_exclusive
def plot_feature_projection(rows: list[dict], out: Path, title: str) -> dict:
    """Draw feature_projection.png and write its CSV and JSON record from images.csv's rows and
    features.npz; whatever the rows, all three are written and an empty figure says why.
    Returns the JSON record."""
    record = read_features(out / FEATURES_FILE)
    kept, missing = _pairs(rows, record)
    why = _why_empty(rows, record, kept, missing)
    meta = {"tensor": record.tensor if record else "", "fitted_on": "", "dimensions": 0,
            "explained_variance_ratio": [], "arrows": 0, "images": 0,
            "rows_without_features": missing, "empty": why}
    points: list[dict] = []
    if not why:
        files = sorted({r["file"] for r in kept})
        clean = np.stack([record.clean[f] for f in files])
        adversarial = np.stack([record.adversarial_of(r) for r in kept])
        coords, ratio = pca_2d(np.concatenate([clean, adversarial]))
        at = {f: coords[i] for i, f in enumerate(files)}
        for r, xy in zip(kept, coords[len(files):]):
            points.append({**{c: r.get(c, "") for c in PROJECTION_COLUMNS[:9]},
                           "eps": f"{eps_key(r['eps']):g}",
                           "clean_x": f"{at[r['file']][0]:.6g}", "clean_y": f"{at[r['file']][1]:.6g}",
                           "adversarial_x": f"{xy[0]:.6g}", "adversarial_y": f"{xy[1]:.6g}"})
        meta.update(fitted_on=f"{len(files)} clean and {len(kept)} adversarial feature vectors "
                              "together, centred on their mean",
                    dimensions=int(clean.shape[1]),
                    explained_variance_ratio=[round(float(v), 6) for v in ratio],
                    arrows=len(kept), images=len(files))
    write_csv(out / "feature_projection.csv", PROJECTION_COLUMNS, points)
    atomic_write_json(out / "feature_projection.json", meta)
    _draw(points, meta, out / "feature_projection.png", title)
    return meta


def _draw(points: list[dict], meta: dict, path: Path, title: str) -> None:
    jobs = sorted({(p["method"], p["target"], p["eps"]) for p in points},
                  key=lambda j: (j[0], j[1], float(j[2])))
    shown = jobs[:MAX_PANELS]
    cols = min(max(len(shown), 1), 3)
    nrows = max(1, -(-len(shown) // cols))
    fig = _figure(3.0 + 3.4 * cols, 1.4 + 3.3 * nrows)
    axes = fig.subplots(nrows, cols, squeeze=False).ravel()
    classes = sorted({p["clean_top1"] for p in points}, key=lambda c: int(c) if c.isdigit() else 0)
    by_class = len(classes) <= MAX_CLASSES_SHOWN
    markers = list(palette.MATPLOTLIB_MARKERS.values())
    if not shown:
        _empty(axes[0], meta["empty"] or "nothing to project")
    xs = [float(p[k]) for p in points for k in ("clean_x", "adversarial_x")]
    ys = [float(p[k]) for p in points for k in ("clean_y", "adversarial_y")]
    for ax, job in zip(axes, shown):
        sel = [p for p in points if (p["method"], p["target"], p["eps"]) == job]
        for p in sel:
            colour = palette.TIERS.get(p["tier"], palette.OTHER)
            cx, cy = float(p["clean_x"]), float(p["clean_y"])
            ax.annotate("", xy=(float(p["adversarial_x"]), float(p["adversarial_y"])),
                        xytext=(cx, cy), arrowprops=dict(arrowstyle="->", color=colour, lw=0.9,
                                                         alpha=0.8, shrinkA=0, shrinkB=0))
            marker = markers[classes.index(p["clean_top1"]) % len(markers)] if by_class else "o"
            ax.plot([cx], [cy], marker=marker, color=colour, markerfacecolor="white",
                    markersize=5, linestyle="none")
        pad_x = 0.05 * (max(xs) - min(xs) or 1.0)
        pad_y = 0.05 * (max(ys) - min(ys) or 1.0)
        ax.set_xlim(min(xs) - pad_x, max(xs) + pad_x)  # every panel the same axes: one PCA
        ax.set_ylim(min(ys) - pad_y, max(ys) + pad_y)
        ax.set_title(f"{job[0]} {job[1]} ε {job[2]} ({count_noun(len(sel), 'arrow')})", fontsize=8.5)
        ratio = meta["explained_variance_ratio"]
        ax.set_xlabel(f"PC1 ({100 * ratio[0]:.1f} % of variance)", fontsize=8)
        ax.set_ylabel(f"PC2 ({100 * ratio[1]:.1f} % of variance)", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(shown):] if shown else axes[1:]:
        ax.set_visible(False)
    from matplotlib.lines import Line2D  # noqa: PLC0415

    handles = [Line2D([], [], color=palette.TIERS[t.value], lw=1.5, label=f"{t.value} tier")
               for t in Tier if any(p["tier"] == t.value for p in points)]
    if by_class:
        names = {p["clean_top1"]: p["clean_top1_name"] for p in points}
        handles += [Line2D([], [], marker=markers[i % len(markers)], color="#333",
                           markerfacecolor="white", linestyle="none",
                           label=f"clean class {names[c] or c}") for i, c in enumerate(classes)]
    if handles:
        axes[min(len(shown), cols) - 1].legend(handles=handles, fontsize=7, loc="upper left",
                                               bbox_to_anchor=(1.03, 1.0))
    notes = [f"penultimate features ({meta['tensor']}, {meta['dimensions']} values)"
             if meta["tensor"] and points else "penultimate features",
             "one PCA of clean and adversarial together; ○ clean image, arrow to its adversarial"]
    if points and not by_class:
        notes.append(f"{len(classes)} clean classes: not marked")
    if len(jobs) > len(shown):
        notes.append(f"{len(jobs) - len(shown)} more attacks in feature_projection.csv")
    if meta["rows_without_features"] and points:
        notes.append(f"{count_noun(meta['rows_without_features'], 'attack row')} without "
                     "features left out")
    if not points:
        notes = ["penultimate-feature projection (PCA)"]
    # wrapped to the figure's width: a one-panel figure is narrow
    fig.suptitle(f"{title}\n" + textwrap.fill("; ".join(notes), 30 + 55 * cols), fontsize=9)
    _save(fig, path)
