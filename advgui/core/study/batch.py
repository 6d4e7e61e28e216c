"""One batch of a study's attacks: run it, save each 8-bit adversarial PNG, make its rows."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image

from advgui.core.attacks import Attack, StepRecord, Target, run_to_end
from advgui.core.model.classifier import Classifier
from advgui.core.study.fragility_search import fast_flips
from advgui.core.model.images import ImageError, load_rgb
from advgui.core.records.safe_write import atomic_write_file
from advgui.core.records.schema import adversarial_name, png_sha256
from advgui.core.study.rows import image_row


class BatchAttacker:
    """Attacks batches for one run of a study, into its adversarial/ folder (``adversarial_fd``:
    that folder opened once, so the PNGs cannot be redirected mid-run)."""

    def __init__(self, classifier: Classifier, folder: Path, study_id: str, adversarial: Path,
                 adversarial_fd: int | None) -> None:
        self.classifier, self.folder, self.study_id = classifier, folder, study_id
        self.adversarial, self.adversarial_fd = adversarial, adversarial_fd
        # (file, target) -> (eps_to_flip, eps_to_flip_float) of the fast search
        self.flip_cache: dict[tuple[str, str], tuple[float, float]] = {}
        # The last batch's (row, clean crop, 8-bit adversarial) for the transfer models.
        self.pairs: list[tuple[dict, np.ndarray, np.ndarray]] = []

    def run(self, batch: list[dict], method: str, eps: float, attack: Attack, target: Target,
            should_stop: Callable[[], bool] = lambda: False) -> list[dict]:
        """Attack the batch; write each adversarial PNG; return its rows (error rows for files
        that vanished or changed since they were classified)."""
        pre = self.classifier.preprocessing
        failed, loaded, images = [], [], []
        for r in batch:  # a file can vanish or change between classification and attack
            try:
                images.append(pre.load(load_rgb(self.folder / r["file"])))
                loaded.append(r)
            except ImageError as exc:
                failed.append(self._error_row(r, method, target, eps, str(exc)))
        if not loaded:
            return failed
        batch, pixels = loaded, np.stack(images)
        x = pre.to_model(pixels)
        truth = np.asarray([int(r["truth"]) for r in batch])
        if str(target) == "true" and np.any(truth < 0):
            raise ValueError("target 'true' needs ground truth for every image (labels CSV, "
                             "wnid file names or wnid folders)")
        def stop_between_steps(_record: StepRecord | None = None) -> None:
            if should_stop():  # a cancel never waits for a whole batch
                raise KeyboardInterrupt

        stop_between_steps()
        # keys: a random start (PGD) is drawn from each image's own name, whatever its batch
        steps = attack.run(self.classifier, x, target, truth, keys=[r["file"] for r in batch])
        result = run_to_end(steps, stop_between_steps)
        flip_eps, flip_float = self._eps_to_flip(batch, method, target, x, truth, result)
        out = []
        for j, r in enumerate(batch):
            png, digest = adversarial_name(r["file"], method, target.slug, eps), ""
            if not result.problems[j]:
                # Encoded first, so that the row's hash is of the very bytes written.
                buffer = io.BytesIO()
                Image.fromarray(result.pixels[j]).save(buffer, format="PNG")
                data = buffer.getvalue()
                digest = png_sha256(data)
                atomic_write_file(self.adversarial / png, lambda fh, d=data: fh.write(d),
                                  dir_fd=self.adversarial_fd)
            row = image_row(self.classifier, r, method, target, eps, attack, result, j,
                            pixels[j], f"adversarial/{png}" if not result.problems[j] else "",
                            float(flip_eps[j]),
                            None if flip_float is None else float(flip_float[j]))
            out.append(dict(row, study_id=self.study_id, adversarial_sha256=digest))
        self.pairs = [(r, pixels[j], result.pixels[j]) for j, r in enumerate(out)
                      if not result.problems[j]]
        return failed + out

    def _eps_to_flip(self, batch: list[dict], method: str, target: Target, x: np.ndarray,
                     truth: np.ndarray, result) -> tuple[np.ndarray, np.ndarray | None]:
        """Per image, how hard it was to flip (see analysis/fragility.py), and for the fast
        attack its float-domain eps-to-flip (None for the others). The fast search depends only
        on the image and target (the sign of the clean gradient), so it is made once per image
        and target in a run, whatever the eps values."""
        if method != "fast":
            linf = result.first_flip_linf
            return (np.full(len(batch), np.inf) if linf is None else linf), None
        keys = [(r["file"], str(target)) for r in batch]
        missing = [j for j, k in enumerate(keys) if k not in self.flip_cache]
        if missing:
            found = fast_flips(self.classifier, x[missing], target, truth[missing],
                               clean=result.clean_probabilities[missing])
            self.flip_cache.update({keys[j]: (a, b) for j, a, b in
                                    zip(missing, found.eps_to_flip, found.eps_to_flip_float)})
        return (np.asarray([self.flip_cache[k][0] for k in keys]),
                np.asarray([self.flip_cache[k][1] for k in keys]))

    def _error_row(self, clean_row: dict, method: str, target: Target, eps: float,
                   error: str) -> dict:
        return {"file": clean_row["file"], "truth": clean_row["truth"], "tier": clean_row["tier"],
                "method": method, "target": str(target), "eps": f"{eps:g}", "status": "error",
                "error": error, "study_id": self.study_id}
