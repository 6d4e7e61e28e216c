"""An inverse attack's record over ImageNet's longest class names, as the chart tests show it."""

from __future__ import annotations

import numpy as np

from advgui.core.app_state.attack_record import AttackRecord, AttackRequest, AttackStart, AttackStep

# Long ImageNet names: the ones a projector cut to three letters ("tur… pay… cas…").
# The names InceptionV3 shows for the turnstile photo, with the longest of ImageNet's.
LONG = ("turnstile", "pay-phone", "cash machine", "parking meter", "ashcan", "loudspeaker",
        "traffic light", "joystick", "quill", "Chesapeake Bay retriever")


def _inverse_record(path: str, total: int = 10) -> AttackRecord:
    """Turnstile 14 % pushed down; four classes lead in turn, then quill wins with 100 %."""
    clean = np.array([0.14, 0.1, 0.04, 0.03, 0.02, 0.01, 0.005, 0.002, 1e-4, 1e-4])
    clean = clean / clean.sum()
    start = AttackStart(AttackRequest(path, "iterative", "inverse", 8.0, 1.0, total),
                        np.zeros((8, 8, 3), np.uint8), clean, 0, False, total)
    record = AttackRecord(start)
    for k in range(1, total + 1):
        p = np.full(10, 0.01)
        p[{1: 1, 2: 5, 3: 6, 4: 7, 5: 7}.get(k, 8)] = 0.9 if k < 7 else 1.0
        record.steps.append(AttackStep(k, total, p / p.sum(), 0.0, 0.01, 0.0,
                                       np.full((8, 8, 3), 10 * k, np.uint8), k))
    return record
