"""Build the shipped models from ../shared/models, from scratch, in one command:

    python models/build.py            # extract views (resumable), distill, write ONNX + manifest
    python models/build.py --tune     # hold out 100 of the 900 sample images and report only

Outputs in models/: efficientnet_lite0.onnx (+ .weights), inception_v3.onnx (+ backbone and head
weights as external data), models.json (manifest), distillation.json (the measured figures),
calibration.json (models/calibrate.py: the logit scale fitted on half of imagenet-val).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advgui.core.analysis.metrics import summarize  # noqa: E402
from advgui.zoo.distill import DistillConfig, softmax, fit_temperature, train_head  # noqa: E402
from advgui.zoo.extract import load_shards  # noqa: E402
from advgui.zoo.sources import Shared, default_shared, read_classes, sample_labels  # noqa: E402
from models.extract_features import CACHE, main as extract_main  # noqa: E402

HERE = Path(__file__).resolve().parent
CONFIG = DistillConfig()
VIEWS, SEED = 8, 0


def load_training(shared: Shared, cache: Path) -> dict[str, np.ndarray]:
    samples = load_shards(sorted(cache.glob(f"samples-v{VIEWS}-s{SEED}-*.npz")))
    extra = load_shards(sorted(cache.glob(f"extra-v{VIEWS}-s{SEED}-*.npz")))
    labels = sample_labels(shared.samples(), read_classes(shared.classes_tsv))
    return {
        "features": np.concatenate([samples["features"], extra["features"]]),
        "teacher": np.concatenate([samples["teacher"], extra["teacher"]]),
        "image": np.concatenate([samples["image"], extra["image"] + 100000]),
        "labels": np.concatenate([labels[samples["image"]], -np.ones(len(extra["image"]), int)]),
        "sample_labels": labels,
    }


def evaluate(head: tuple[np.ndarray, np.ndarray], plain: dict[str, np.ndarray],
             labels: np.ndarray, temperature: float = 1.0) -> dict[str, dict]:
    w, b = head
    student = softmax((plain["features"] @ w.T + b) / temperature)
    teacher = softmax(plain["teacher"])
    out = {"student": summarize(student, labels), "teacher": summarize(teacher, labels)}
    out["student"]["agreement_with_teacher"] = float(
        (student.argmax(1) == teacher.argmax(1)).mean())
    return out


def tune(shared: Shared, cache: Path, cfg: DistillConfig) -> dict:
    data = load_training(shared, cache)
    rng = np.random.default_rng(SEED)
    held = rng.choice(900, size=100, replace=False)
    train = ~np.isin(data["image"], held)
    head = train_head(data["features"][train], data["teacher"][train], cfg, data["labels"][train])
    plain = dict(np.load(cache / "samples-plain.npz"))
    plain = {k: v[held] for k, v in plain.items()}
    labels = data["sample_labels"][held]
    logits = plain["features"] @ head[0].T + head[1]
    t = fit_temperature(logits, labels)
    return {"config": cfg.__dict__, "held_out": evaluate(head, plain, labels),
            "calibrated_temperature": t,
            "held_out_calibrated": evaluate(head, plain, labels, t)["student"]}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--shared", type=Path, default=default_shared())
    ap.add_argument("--tune", action="store_true")
    ap.add_argument("--temperature", type=float, default=CONFIG.temperature)
    ap.add_argument("--weight-decay", type=float, default=CONFIG.weight_decay)
    ap.add_argument("--epochs", type=int, default=CONFIG.epochs)
    ap.add_argument("--label-weight", type=float, default=CONFIG.label_weight)
    args = ap.parse_args(argv)
    cfg = DistillConfig(temperature=args.temperature, weight_decay=args.weight_decay,
                        epochs=args.epochs, label_weight=args.label_weight, seed=SEED)
    shared = Shared(args.shared)
    extract_main(["--shared", str(args.shared), "--views", str(VIEWS), "--seed", str(SEED)])
    if args.tune:
        print(json.dumps(tune(shared, CACHE, cfg), indent=1))
        return
    from models.write_models import write_all  # noqa: PLC0415 (only needed for a full build)

    started = time.time()
    tuned = tune(shared, CACHE, cfg)
    data = load_training(shared, CACHE)
    w, b = train_head(data["features"], data["teacher"], cfg, data["labels"])
    t = tuned["calibrated_temperature"]
    head = (w / t, b / t)
    files, labels = shared.nips17()
    report = {
        "config": cfg.__dict__, "views_per_image": VIEWS,
        "training_views": int(len(data["features"])),
        "held_out_100_of_900": tuned,
        "nips17_dev": evaluate(head, dict(np.load(CACHE / "nips17-plain.npz")), labels),
        "calibration_temperature": t,
        "distillation_seconds": round(time.time() - started, 1),
    }
    (HERE / "distillation.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report["nips17_dev"], indent=1))
    write_all(shared, head, report)
    # Last: calibrate on genuine ImageNet validation photos (fit on one half, report the other).
    from models.calibrate import calibrate  # noqa: PLC0415

    calibrate(shared)


if __name__ == "__main__":
    main()
