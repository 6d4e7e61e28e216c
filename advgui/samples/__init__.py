"""35 sample photos from the NIPS 2017 adversarial competition's development set (Flickr, CC BY
2.0), spanning the shipped InceptionV3's confidence tiers; labels.csv gives each one's class,
author, source and licence. Chosen by scripts/choose_samples.py; ImageNet photos are not ours to
ship."""

from __future__ import annotations

import csv
import re
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "images"


def _unescape(text: str) -> str:
    """A few authors' names came with their UTF-8 bytes written as octal escapes ("Ag\\303\\252ncia")."""
    if "\\" not in text:
        return text
    try:
        raw = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeError, ValueError):
        return text


def credits() -> list[dict]:
    with open(FOLDER.parent / "labels.csv", newline="", encoding="utf-8") as fh:
        return [{k: _unescape(v) for k, v in row.items()} for row in csv.DictReader(fh)]
