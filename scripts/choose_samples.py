"""Choose the bundled sample photos (advgui/samples): 36 nips17-dev photos under CC BY 2.0,
spanning the shipped InceptionV3's confidence tiers as far as they do, one class each.

    python scripts/choose_samples.py

Reads the features cache of models/calibrate_features.py; copies the photos unchanged and writes
labels.csv with each one's label, author, source and licence (shown in Help > Credits).
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

import numpy as np
import onnx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advgui.zoo.calibration import image_statistics, scaled  # noqa: E402
from advgui.zoo.distill import softmax  # noqa: E402
from advgui.zoo.sources import default_shared  # noqa: E402
from models.calibrate import MODEL, head_of  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "advgui" / "samples"
WANT = {"low": 6, "medium": 12, "high": 18}


def main() -> None:
    source = default_shared() / "data" / "nips17-dev"
    with open(source / "labels.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cache = np.load(Path(MODEL).parent / ".cache" / "nips17-plain.npz")
    w, b = head_of(onnx.load(MODEL, load_external_data=False))
    theta = [float(t) for t in __import__("json").loads(
        (Path(MODEL).parent / "calibration.json").read_text())["theta"]]
    features = cache["features"].astype(np.float64)
    z = features @ w.T.astype(np.float64) + b
    probs = softmax(scaled(z, image_statistics(z, features), np.asarray(theta)))
    conf = probs.max(1)
    tier = np.where(conf >= 0.30, "high", np.where(conf >= 0.15, "medium", "low"))
    rng = np.random.default_rng(0)
    chosen, classes = [], set()
    for name, count in WANT.items():
        pool = [i for i in rng.permutation(len(rows)) if tier[i] == name]
        for i in pool:
            if rows[i]["license"].rstrip("/").endswith("licenses/by/2.0") and \
                    rows[i]["class_index"] not in classes:
                chosen.append(i)
                classes.add(rows[i]["class_index"])
            if sum(tier[j] == name for j in chosen) == count:
                break
    (OUT / "images").mkdir(parents=True, exist_ok=True)
    with open(OUT / "labels.csv", "w", newline="") as fh:
        out = csv.DictWriter(fh, fieldnames=list(rows[0]))
        out.writeheader()
        for i in sorted(chosen, key=lambda i: rows[i]["file"]):
            shutil.copyfile(source / rows[i]["file"], OUT / rows[i]["file"])
            out.writerow(rows[i])
    print({t: int(sum(tier[i] == t for i in chosen)) for t in WANT}, len(chosen), "photos")


if __name__ == "__main__":
    main()
