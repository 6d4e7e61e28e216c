"""A folder of links to the held-out half of ../shared/data/imagenet-val, with its labels.csv.

    python scripts/heldout_folder.py OUT_FOLDER

The study on imagenet-val (README) runs on these photos only: the other half fitted the shipped
InceptionV3's calibration, so its tiers would not be an honest test there.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from advgui.zoo.calibration import is_fitting_half  # noqa: E402
from advgui.zoo.sources import default_shared  # noqa: E402


def main(out: Path) -> int:
    source = default_shared() / "data" / "imagenet-val"
    with open(source / "labels.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if not is_fitting_half(r["file"])]
    (out / "images").mkdir(parents=True, exist_ok=True)
    for r in rows:
        link = out / r["file"]
        if not link.exists():
            os.symlink((source / r["file"]).resolve(), link)
    with open(out / "labels.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, ["file", "class_index"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} held-out photos linked in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
