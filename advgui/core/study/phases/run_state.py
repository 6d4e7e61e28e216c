"""What one run of a study carries from phase to phase (Study.run makes one a run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from advgui.core.records.config import StudyOutcome
from advgui.core.records.folder import StudyLock
from advgui.core.records.row_log import RowLog
from advgui.core.study.batch import BatchAttacker


@dataclass
class StudyRun:
    """What one run carries from phase to phase."""
    should_stop: Callable[[], bool]
    started: float = 0.0
    lock: StudyLock | None = None
    attacker: BatchAttacker | None = None
    earlier: dict = field(default_factory=dict)  # the manifest an earlier run wrote
    manifest: dict = field(default_factory=dict)
    resumed: bool = False
    scorers: tuple = ((), ())  # the transfer models' and the transformations' (extras.Scorer)
    extras: list = field(default_factory=list)
    clean_rows: list[dict] | None = None
    log: RowLog | None = None
    chosen: list[dict] = field(default_factory=list)
    done: set = field(default_factory=set)  # image_key of the rows there before the attacks
    rows: list[dict] = field(default_factory=list)
    cancelled: bool = False
    write_error: OSError | None = None
    outcome: StudyOutcome | None = None
    phase: str = ""
    created: list[Path] = field(default_factory=list)  # folders this run made, deepest first

    def close_log(self) -> None:
        if self.log is not None:
            self.log.close()
