"""Confidence tiers of the seed study: by the clean top-1 softmax probability."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Tier(str, Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True)
class TierThresholds:
    """high >= high_min, medium in [medium_min, high_min), low < medium_min (the seed: 30 %, 15 %)."""

    high_min: float = 0.30
    medium_min: float = 0.15

    def __post_init__(self) -> None:
        if not 0.0 < self.medium_min < self.high_min <= 1.0:
            raise ValueError(
                f"tier thresholds must satisfy 0 < medium ({self.medium_min}) < high "
                f"({self.high_min}) <= 1")

    def tier_of(self, top1_probability: float) -> Tier:
        if top1_probability >= self.high_min:
            return Tier.HIGH
        if top1_probability >= self.medium_min:
            return Tier.MEDIUM
        return Tier.LOW
