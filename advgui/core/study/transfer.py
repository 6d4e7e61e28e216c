"""Transferability (Papernot et al. 2016): every adversarial image made on the study's model,
after 8-bit rounding, scored by other models too.

A transfer model sees the same view of the photo as the study's model (the clean crop the
attack started from, and the saved 8-bit adversarial), resized to its own input, so the only
difference between its two verdicts is the perturbation. Its rows go to transfer.csv, one per
attack row and transfer model, keyed like images.csv plus the model; images.csv keeps one schema
for every study. Per tier, transfer_summary.csv gives the transfer model's error against the
truth (the seed's denominators: images that model got right when clean) and how often its own
top-1 changed, with Wilson intervals.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from advgui.core.model.classifier import Classifier
from advgui.core.analysis.stats import wilson
from advgui.core.analysis.extras_schema import TRANSFER, TRANSFER_COLUMNS, TRANSFER_SUMMARY_COLUMNS  # noqa: F401
from advgui.core.records.schema import eps_key, png_sha256
from advgui.core.tiers import Tier

SUMMARY_COLUMNS = TRANSFER_SUMMARY_COLUMNS
transfer_key = TRANSFER.key


def load_transfer_model(spec: str, device: str) -> Classifier:
    """A transfer model with its own preprocessing and class names: its embedded metadata, its
    Optimum export folder, or the M.preprocessor_config.json beside it (the study's --size,
    --mean and --std are the attacked model's, never a transfer model's)."""
    from advgui.core.model.classifier import ModelError  # noqa: PLC0415
    from advgui.core.model.registry import load_classifier  # noqa: PLC0415
    from advgui.core.model.sidecar import SidecarError, sidecar_path  # noqa: PLC0415

    try:
        return load_classifier(spec, device=device)
    except (ModelError, ValueError, OSError) as exc:
        if "carries no preprocessing" not in str(exc):
            raise ModelError(f"--transfer-to {spec}: {exc}; nothing was written. Give a "
                             "shipped model name or an .onnx classifier") from None
        try:
            where = sidecar_path(Path(spec))
        except SidecarError:
            where = Path(spec)
        raise ModelError(
            f"--transfer-to {spec}: the model carries no preprocessing; put {where} beside it "
            "(Hugging Face's preprocessor_config.json keys: size, image_mean, image_std in 0-1 "
            "units; see README 'Your own model')") from None


def validate_transfer_row(row: dict[str, str]) -> str | None:
    try:
        int(row["clean_top1"]), int(row["adv_top1"]), float(row["eps"])
    except (KeyError, ValueError):
        return "not a transfer row (clean_top1, adv_top1 or eps unreadable)"
    return None


def _top5(p: np.ndarray) -> list[int]:
    return [int(i) for i in np.argsort(-p)[:5]]


def score_pairs(model: Classifier, clean: list[np.ndarray], adversarial: list[np.ndarray]
                ) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities of the clean crops and of their 8-bit adversarials (uint8 HxWx3 each)."""
    pre = model.preprocessing
    views = [pre.load(Image.fromarray(p)) for p in clean + adversarial]
    probs = model.probabilities(pre.to_model(np.stack(views)))
    return probs[:len(clean)], probs[len(clean):]


def transfer_is_by_index(study: Classifier, model: Classifier) -> bool:
    """Whether class_map fell back to the index (a model without class ids, same class count)."""
    ours, theirs = list(study.classes.ids), list(model.classes.ids)
    return ours != theirs and ([str(i) for i in range(len(theirs))] == theirs
                               or [str(i) for i in range(len(ours))] == ours)


def class_map(study: Classifier, model: Classifier, spec: str) -> list[int]:
    """The transfer model's index of each of the study model's classes, matched by class id
    (the wnid), so a truth is compared by meaning: a 1,000-class transfer model for a 10-class
    study, or the same wnids in another order. Refused when a study class has no match."""
    ours, theirs = list(study.classes.ids), list(model.classes.ids)
    if ours == theirs:
        return list(range(len(ours)))
    index = {w: i for i, w in enumerate(theirs) if w}
    numbered = [str(i) for i in range(len(theirs))] == theirs or \
        [str(i) for i in range(len(ours))] == ours
    if numbered and len(ours) == len(theirs):
        # One of the two names no classes (plain indices): there is no meaning to match by, and
        # the same number of classes is the user's claim that the outputs line up, as they did
        # before class lists were compared. Scored by index (transfer_is_by_index says so).
        return list(range(len(ours)))
    missing = [w or f"#{i}" for i, w in enumerate(ours) if not w or w not in index]
    if missing or numbered or len(index) != len(theirs):
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3
                                          else "")
        why = (f"it lacks {len(missing)} of the study model's {len(ours)} classes ({shown})"
               if missing else "one of the two has no class ids (wnids) to match them by")
        raise ValueError(
            f"--transfer-to {spec}: its {len(theirs)} classes cannot be matched to the study "
            f"model's {len(ours)} by wnid ({why}), so its verdicts cannot be scored against "
            "the study's truth; give a transfer model whose class list holds the study's classes")
    return [index[w] for w in ours]


def transfer_rows(model: Classifier, image_rows: list[dict], clean: list[np.ndarray],
                  adversarial: list[np.ndarray], study_id: str,
                  truth_of: list[int] | None = None) -> list[dict]:
    """One row per attack row: the transfer model's clean and adversarial verdicts. ``truth``
    is in the transfer model's classes (``truth_of`` maps the study's, class_map), so it
    compares with the row's top-1s by meaning."""
    if not image_rows:
        return []
    p_clean, p_adv = score_pairs(model, clean, adversarial)
    names = model.classes.names
    out = []
    for r, c, a in zip(image_rows, p_clean, p_adv):
        truth = int(r["truth"])
        if truth >= 0 and truth_of is not None:
            truth = truth_of[truth] if truth < len(truth_of) else -1
        c5, a5 = _top5(c), _top5(a)
        right = truth >= 0 and c5[0] == truth
        out.append({
            "file": r["file"], "method": r["method"], "target": r["target"], "eps": r["eps"],
            "tier": r["tier"], "model": model.name, "model_sha256": model.sha256[:16],
            "truth": truth, "clean_top1": c5[0], "clean_top1_name": names[c5[0]],
            "clean_top5": " ".join(map(str, c5)), "adv_top1": a5[0], "adv_top1_name": names[a5[0]],
            "adv_top5": " ".join(map(str, a5)), "clean_correct": int(right),
            "top1_error_truth": int(a5[0] != truth) if truth >= 0 else "",
            "top5_error_truth": int(truth not in a5) if truth >= 0 else "",
            "top1_changed": int(a5[0] != c5[0]), "study_id": r["study_id"]})
    return out


def backfill_inputs(folder: Path, out: Path, classifier: Classifier, rows: list[dict]
                    ) -> tuple[list[dict], list[np.ndarray], list[np.ndarray],
                               list[tuple[str, str]]]:
    """For attack rows made before a transfer model was added: the clean crop again (from the
    photo) and the saved 8-bit adversarial (from its PNG); and (file, why) of each row whose
    photo or PNG is gone or damaged, so the caller can say which rows were not scored."""
    from advgui.core.model.images import ImageError, load_rgb  # noqa: PLC0415

    kept, clean, adversarial, lost = [], [], [], []
    for r in rows:
        if r["status"] != "ok":
            continue
        if not r["adversarial_png"]:
            lost.append((r["file"], "its row names no adversarial PNG"))
            continue
        path = folder / r["file"]
        try:  # both read before either is kept: a missing PNG must not shift the pairs
            crop = classifier.preprocessing.load(load_rgb(path))
            path = out / r["adversarial_png"]
            if r.get("adversarial_sha256") and \
                    png_sha256(path.read_bytes()) != r["adversarial_sha256"]:
                lost.append((r["adversarial_png"], "its bytes are not those the study wrote "
                             "(SHA-256 differs from the row's adversarial_sha256)"))
                continue
            adv = np.asarray(load_rgb(path))
        except (ImageError, OSError) as exc:
            shown = r["file"] if path == folder / r["file"] else r["adversarial_png"]
            lost.append((shown, "missing" if not path.exists() else str(exc)))
            continue  # no extra row: the summary counts it out
        kept.append(r)
        clean.append(crop)
        adversarial.append(adv)
    return kept, clean, adversarial, lost


def transfer_summary(rows: list[dict]) -> list[dict]:
    out = []
    keys = sorted({(r["model"], r["method"], r["target"], float(r["eps"])) for r in rows})
    for model, method, target, eps in keys:
        for tier in [t.value for t in Tier] + ["all"]:
            sel = [r for r in rows if (r["model"], r["method"], r["target"]) == (model, method, target)
                   and float(r["eps"]) == eps and (tier == "all" or r["tier"] == tier)]
            if not sel:
                continue
            row = {"model": model, "tier": tier, "method": method, "target": target,
                   "eps": f"{eps:g}", "images": len(sel)}
            right = [r for r in sel if r["clean_correct"] == "1" or r["clean_correct"] == 1]
            in5 = [r for r in sel if str(r["truth"]) not in ("", "-1")
                   and str(r["truth"]) in str(r["clean_top5"]).split()]
            for name, flags in (("top1_error_truth", [int(r["top1_error_truth"]) for r in right]),
                                ("top5_error_truth", [int(r["top5_error_truth"]) for r in in5]),
                                ("top1_changed", [int(r["top1_changed"]) for r in sel])):
                n, k = len(flags), sum(flags)
                lo, hi = wilson(k, n) if n else (float("nan"), float("nan"))
                if name != "top1_changed":
                    row[name + "_n"] = n
                row[name] = f"{k / n:.4f}" if n else "nan"
                row[name + "_lo"], row[name + "_hi"] = f"{lo:.4f}", f"{hi:.4f}"
            out.append(row)
    return out
