"""The study's features.npz: the penultimate features of every attacked clean image and of
every saved adversarial PNG, computed after the attacks from the very PNG bytes each row names
(the row's SHA-256 is checked), so a resumed run adds only the rows it has not recorded and a
record never mixes rows of another run or model."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from advgui.core.model.classifier import Classifier
from advgui.core.model.features import FeatureError, FeatureExtractor
from advgui.core.records.features_file import (FEATURES_FILE, FeatureRecord, load_features,
                                               row_key, write_features)
from advgui.core.study.transfer import backfill_inputs


def record_features(classifier: Classifier, folder: Path, out: Path, rows: list[dict],
                    batch: int, should_stop: Callable[[], bool],
                    notes: list[str]) -> Iterator[tuple[int, int]]:
    """Bring out/features.npz up to the attack rows: entries of rows no longer there (or of
    another model) are dropped, missing ones computed batch by batch, yielding (rows done, rows
    to do) as they go so that the study's progress names this phase (a large study spends
    minutes here). A cancel keeps what is computed (it is written before the KeyboardInterrupt
    goes on)."""
    path = out / FEATURES_FILE
    old, why = load_features(path)
    if why:  # a link or a damaged file: not read, and replaced by the study's own
        notes.append(f"{FEATURES_FILE} was not used: {why}. Its features were computed again "
                     "and the file replaced")
    ok = [r for r in rows if r["status"] == "ok" and r.get("adversarial_png")]
    try:
        extractor = FeatureExtractor(classifier)
    except FeatureError as exc:
        write_features(path, FeatureRecord(model_sha256=classifier.sha256, unavailable=str(exc)))
        return
    record = FeatureRecord(extractor.tensor, classifier.sha256)
    if old is not None and (old.tensor, old.model_sha256) == (record.tensor, classifier.sha256):
        files = {r["file"] for r in ok}
        record.clean = {f: v for f, v in old.clean.items() if f in files}
        wanted = {(row_key(r), r.get("adversarial_sha256", "")) for r in ok}
        record.adversarial = {k: v for k, v in old.adversarial.items() if k in wanted}
    # a row whose clean image lost its entry is done again too: else its arrow is lost for good
    todo = [r for r in ok if record.adversarial_of(r) is None or record.clean_of(r) is None]
    lost: list[tuple[str, str]] = []
    pre = classifier.preprocessing
    try:
        if todo:  # nothing to record: no progress line for an empty phase
            yield 0, len(todo)
        for i in range(0, len(todo), batch):
            if should_stop():
                raise KeyboardInterrupt
            kept, clean, adversarial, missing = backfill_inputs(folder, out, classifier,
                                                                todo[i:i + batch])
            lost += missing
            if not kept:
                yield min(i + batch, len(todo)), len(todo)
                continue
            new_clean = [j for j, r in enumerate(kept) if r["file"] not in record.clean]
            if new_clean:
                values = extractor.features(pre.to_model(np.stack([clean[j] for j in new_clean])))
                record.clean.update({kept[j]["file"]: v for j, v in zip(new_clean, values)})
            values = extractor.features(pre.to_model(np.stack(adversarial)))
            record.adversarial.update({(row_key(r), r.get("adversarial_sha256", "")): v
                                       for r, v in zip(kept, values)})
            yield min(i + batch, len(todo)), len(todo)
    finally:
        write_features(path, record)
    if lost:
        notes.append(f"{FEATURES_FILE}: {len(lost)} attack rows have no features (their photo or "
                     f"PNG is gone or changed, e.g. {lost[0][0]}); the feature projection leaves "
                     "them out")
