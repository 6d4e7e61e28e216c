"""The study's work: the extras catch up on attack rows they have not scored, every sampled
image is attacked by every job (the free space for it checked first), and features.npz is
brought up to the attack rows. Each stops on a cancel and keeps what is finished."""

from __future__ import annotations

from typing import Generator

from advgui.core.records.config import StudyProgress
from advgui.core.records.safe_write import check_free_space
from advgui.core.study.feature_record import record_features
from advgui.core.study.phases.images import StudyImages
from advgui.core.study.phases.run_state import StudyRun
from advgui.core.tiers import Tier

# Bytes an attack result may take: a PNG of a photo at the model's size stays under 90 % of the
# raw pixels (the largest of 4,000 InceptionV3 results: 237,720 of 268,203 bytes), and its row.
PNG_SHARE = 0.9
ROW_BYTES = 600


class Attacking(StudyImages):
    """Study's catch_up, attack and features phases."""

    def _catch_up(self, run: StudyRun) -> Generator[StudyProgress, None, None]:
        """Each extra scores, from the saved PNGs, the attack rows it has not seen (made before
        it was asked for, or lost to a kill between the two appends)."""
        for extra in run.extras:
            extra.backfill(run.log.rows, run.should_stop)
        yield from ()

    def _attack(self, run: StudyRun) -> Generator[StudyProgress, None, None]:
        """Every sampled image attacked by every job of the config, in StudyConfig.jobs'
        order, skipping what is done; each batch's rows are appended, then its extras'. The
        free space for the rest is checked first."""
        cfg = self.config
        jobs = [] if cfg.classify_only else self.jobs
        done, chosen = run.done, run.chosen
        total = len(jobs) * len(chosen)
        finished = sum(1 for r in chosen for m, e, _, t in jobs
                       if (r["file"], m, str(t), e) in done)
        size = self.classifier.size
        check_free_space(cfg.out, (total - finished) * (int(PNG_SHARE * 3 * size * size)
                                                       + ROW_BYTES),
                         f"{total - finished:,} adversarial images and their rows")
        before = finished
        if finished < total:  # the phase and its first job show at once, not after a batch
            method, eps, _, target = next(j for j in jobs if any(
                (r["file"], j[0], str(j[3]), j[1]) not in done for r in chosen))
            yield StudyProgress("attack", finished, total, self._tier_counts(chosen),
                                f"{method} {target} eps {eps:g}", new=0)
        for method, eps, attack, target in jobs:
            todo = [r for r in chosen if (r["file"], method, str(target), eps) not in done]
            for i in range(0, len(todo), cfg.batch):
                if run.should_stop():
                    raise KeyboardInterrupt
                batch = todo[i:i + cfg.batch]
                rows = run.attacker.run(batch, method, eps, attack, target, run.should_stop)
                run.log.append(rows)
                for extra in run.extras:
                    extra.add_pairs(run.attacker.pairs)
                finished += len(batch)
                yield StudyProgress("attack", finished, total, self._tier_counts(chosen),
                                    f"{method} {target} eps {eps:g}", new=finished - before)

    def _features(self, run: StudyRun) -> Generator[StudyProgress, None, None]:
        """features.npz brought up to the attack rows (feature_record.py), for the projection."""
        if run.log is None:
            return
        counts = self._tier_counts(run.chosen) if run.chosen else {}
        for done, total in record_features(self.classifier, self.config.folder, self.config.out,
                                           run.log.rows, self.config.batch, run.should_stop,
                                           self.notes):
            yield StudyProgress("features", done, total, counts, "penultimate features", new=done)

    @staticmethod
    def _tier_counts(chosen: list[dict]) -> dict[str, int]:
        return {t.value: sum(r["tier"] == t.value for r in chosen) for t in Tier}
