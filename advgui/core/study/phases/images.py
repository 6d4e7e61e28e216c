"""What every phase of a study reads: the study's state (set by Study.__init__) and its images
folder as the study sees it (files listed once a run, named relative to the folder, their ground
truth). The base of each phase group (phases/*.py) and of Study itself."""

from __future__ import annotations

from pathlib import Path

from advgui.core.model.classifier import Classifier
from advgui.core.model.labels import Labels, LabelsError
from advgui.core.records.config import StudyConfig
from advgui.core.records.inputs import list_image_files


def _encodable(name: str) -> bool:
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


class StudyImages:
    """The state the phases share (Study.__init__ sets it) and the images folder's helpers."""
    classifier: Classifier
    config: StudyConfig
    labels: Labels
    definition: dict
    id: str  # study_id(definition): every row's study_id
    notes: list[str]  # what this run repaired or re-scored, for the user
    jobs: list[tuple]  # (method, eps, attack, target) in StudyConfig.jobs' order
    attacks: list[tuple]  # (method, eps, attack) as StudyConfig.attacks made them
    _listing: list[Path] | None
    _adversarial_fd: int | None  # adversarial/, opened by the identity phase

    def _rel(self, path: Path) -> str:
        return path.relative_to(self.config.folder).as_posix()

    def _truth(self, path: Path) -> int:
        return self.labels.truth(path, self.config.folder)

    def _check_labels_cover(self) -> None:
        """A labels file that names none of the images is a mistake, not 'no ground truth'."""
        if not self.labels.by_key:
            return
        files = self._list()
        listed = sum(self.labels.listed(f, self.config.folder) for f in files)
        if files and not listed:
            example = next(iter(self.labels.by_key))
            raise LabelsError(f"{self.labels.source} names none of the {len(files)} images in "
                              f"{self.config.folder} (it has keys like {example!r}, the folder "
                              f"files like {self._rel(files[0])!r})")
        if listed < len(files):
            self.notes.append(f"{self.labels.source} has no label for {len(files) - listed} of "
                              f"the {len(files)} images; they use wnid names or have no truth")

    def _list(self) -> list[Path]:
        """The images folder's files, walked once per run (the label check, the classification
        and the resume's input check all use it)."""
        if self._listing is not None:
            return self._listing
        files = list_image_files(self.config.folder, skip=(self.config.out,))
        usable = [f for f in files if _encodable(self._rel(f))]
        if len(usable) < len(files):  # a CSV cell cannot hold it; one bad name must not block all
            bad = next(f for f in files if not _encodable(self._rel(f)))
            note = (f"{len(files) - len(usable)} file name(s) are not valid UTF-8 and were left "
                    f"out (e.g. {self._rel(bad)!r}); rename them to include them")
            self.notes.append(note)
        self._listing = usable
        return usable
