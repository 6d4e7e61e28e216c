"""Which class an attack pushes towards or away from.

The seed study says "least likely" but illustrates it as the weakest of the top 5; Kurakin et al.
(2016) define the least-likely class as the global argmin. Both are offered; the default is the
global argmin (``least-likely``), ``least-likely-top5`` is the seed's reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

TOWARDS, AWAY = -1.0, 1.0


class TargetKind(str, Enum):
    LEAST_LIKELY = "least-likely"
    LEAST_LIKELY_TOP5 = "least-likely-top5"
    INVERSE = "inverse"
    CLASS = "class"
    TRUE = "true"


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    class_index: int | None = None

    @classmethod
    def parse(cls, text: str, num_classes: int | None = None) -> "Target":
        """'least-likely', 'least-likely-top5', 'inverse', 'true' or 'class:N'."""
        if text.startswith("class:"):
            try:
                index = int(text.split(":", 1)[1])
            except ValueError:
                raise ValueError(f"bad target {text!r}: class:N needs an integer N") from None
            if index < 0 or (num_classes is not None and index >= num_classes):
                raise ValueError(f"target class {index} outside 0-{(num_classes or 1) - 1}")
            return cls(TargetKind.CLASS, index)
        try:
            return cls(TargetKind(text))
        except ValueError:
            valid = ", ".join([k.value for k in TargetKind if k is not TargetKind.CLASS] + ["class:N"])
            raise ValueError(f"unknown target {text!r}; valid: {valid}") from None

    @property
    def slug(self) -> str:
        return f"class{self.class_index}" if self.kind is TargetKind.CLASS else self.kind.value

    def __str__(self) -> str:
        return f"class:{self.class_index}" if self.kind is TargetKind.CLASS else self.kind.value

    def resolve(self, clean: np.ndarray, truth: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
        """Per-image (target class, direction) from clean probabilities [N, K].

        Direction -1 steps towards the class (lower its cross-entropy), +1 away from it.
        """
        n = len(clean)
        if self.kind is TargetKind.LEAST_LIKELY:
            return clean.argmin(axis=1), np.full(n, TOWARDS)
        if self.kind is TargetKind.LEAST_LIKELY_TOP5:
            top5 = np.argsort(-clean, axis=1)[:, :5]
            return top5[:, -1], np.full(n, TOWARDS)
        if self.kind is TargetKind.INVERSE:
            return clean.argmax(axis=1), np.full(n, AWAY)
        if self.kind is TargetKind.CLASS:
            return np.full(n, self.class_index), np.full(n, TOWARDS)
        if truth is None or np.any(truth < 0):
            raise ValueError("target 'true' needs the ground-truth label of every image")
        return np.asarray(truth), np.full(n, AWAY)
