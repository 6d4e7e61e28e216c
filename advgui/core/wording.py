"""Counted nouns: "1 image", "2 images", "1,278 photos" (never "1 images")."""

from __future__ import annotations


def count_noun(n: int, noun: str, plural: str = "") -> str:
    """`n` and the noun, singular for exactly one; `plural` where adding "s" is wrong."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
