"""35 sample photos from the NIPS 2017 adversarial competition's development set (Flickr, CC BY
2.0), spanning the shipped InceptionV3's confidence tiers; labels.csv gives each one's class,
author, source and licence. Chosen by scripts/choose_samples.py; ImageNet photos are not ours to
ship."""

from __future__ import annotations

import csv
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "images"


def credits() -> list[dict]:
    with open(FOLDER.parent / "labels.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
