"""Square Attack (Andriushchenko, Croce, Flammarion & Hein 2020, arXiv:1912.00049), L-infinity:
a gradient-free attack by random search that needs only the model's probabilities.

It starts from vertical stripes (each column of each channel moved by +eps or -eps), then, per
query, draws a square of side s at a random place and sets it, channel by channel, to the clean
image +eps or -eps (a change of up to 2 eps from the current image); the candidate is kept if it
lowers the loss: the margin (log-probability of the target class minus the largest other) away
from a class, the cross-entropy of the target towards one. The fraction p of pixels a square
covers starts at ``p_init`` (0.05, the paper's L-infinity value on ImageNet) and is halved at
iterations 10, 50, 200, 500, 1000, 2000, 4000, 6000 and 8000 of a 10,000-query run, those points
scaled to the query budget as in the authors' code (``p_selection``); s = round(sqrt(p * H * W)).

Honest to 8 bits: every image it queries is an 8-bit image (the clean pixels moved by whole
levels, floor(eps) at most), so the image it returns is the one it scored and a flip it counts is
a flip of the PNG a user saves. Each image's squares and signs come from its own stream, seeded
by ``seed`` and the image's key (its file) as PGD's start is, and an image stops drawing once it
has reached its goal, so its run does not depend on its batch. Queries are counted per image as
in the paper: the stripes are query 1, each square one more, never more than ``queries``; the
clean image's verdict is not counted. ``queries_to_flip`` is the query at which the kept image's
top-1 first differed from the clean top-1.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import ClassVar, Generator

import numpy as np

from advgui.core.attacks.base import Attack, AttackResult, AttackRun, StepRecord, finish
from advgui.core.attacks.params import check_eps
from advgui.core.attacks.targets import TOWARDS

SQUARE_QUERIES = 1000
SQUARE_P_INIT = 0.05
MAX_QUERIES = 100_000

# A run yields about this many step records (one every budget/STEP_RECORDS queries): the window
# charts and replays them; a record a query would hold a thousand images.
STEP_RECORDS = 50
# The paper's halving points of p, as iterations of a 10,000-query run.
_HALVINGS = (10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000)
# Redraws of a square's signs that would leave the image unchanged before it is queried anyway
# (only an image pinned at 0 or 255, or eps below one level, gets there).
_REDRAWS = 10


def query_record_every(queries: int) -> int:
    """A step record every this many queries (about STEP_RECORDS records a full run)."""
    return max(1, math.ceil(queries / STEP_RECORDS))


def p_selection(p_init: float, iteration: int, budget: int) -> float:
    """The fraction of pixels the square of ``iteration`` covers (the authors' schedule)."""
    at = int(iteration / budget * 10_000)
    halvings = sum(1 for h in _HALVINGS if at > h)
    return p_init / 2 ** halvings


def square_side(p: float, height: int, width: int) -> int:
    return min(max(int(round(math.sqrt(p * height * width))), 1), min(height, width) - 1)


def _log(probs: np.ndarray) -> np.ndarray:
    return np.log(np.maximum(probs, 1e-300))


def square_loss(probs: np.ndarray, target: np.ndarray, towards: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Per image (loss to lower, margin: reached when <= 0). Away from a class: the margin
    log p(target) - max over the others, as loss and margin. Towards: the cross-entropy of the
    target as loss, max of the others - log p(target) as margin."""
    logp = _log(probs)
    rows = np.arange(len(probs))
    own = logp[rows, target]
    others = logp.copy()
    others[rows, target] = -np.inf
    best_other = others.max(axis=1)
    away_margin = own - best_other
    loss = np.where(towards, -own, away_margin)
    margin = np.where(towards, -away_margin, away_margin)
    return loss, margin


class SquareAttack(Attack):
    name: ClassVar[str] = "square"
    is_iterative: ClassVar[bool] = False  # no step size: its steps are queries
    uses_random_start: ClassVar[bool] = True  # stripes and squares are drawn from the key
    uses_gradient: ClassVar[bool] = False

    def __init__(self, *, eps: float = 8.0, queries: int | None = None,
                 p_init: float | None = None, seed: int = 0) -> None:
        self.eps = check_eps(eps)
        self.queries = _check_queries(SQUARE_QUERIES if queries is None else queries)
        self.p_init = _check_p(SQUARE_P_INIT if p_init is None else p_init)
        self.seed = int(seed)
        self.alpha = None  # squares move pixels to the clean image +-eps
        self.every = query_record_every(self.queries)
        self.steps = math.ceil(self.queries / self.every)  # step records of a full run

    def _streams(self, run: AttackRun) -> list[np.random.Generator]:
        return [np.random.default_rng([self.seed, *b"square", *k.encode("utf-8")])
                for k in run.keys]

    def _perturb(self, run: AttackRun) -> Generator[StepRecord, None, AttackResult]:
        classifier, pre, n = run.classifier, run.preprocessing, len(run.x)
        clean_top1 = run.clean.argmax(axis=1)
        towards = run.direction == TOWARDS
        target = run.target
        # The 8-bit box: whole levels within eps of the clean pixels and inside 0-255.
        clean_px = pre.to_pixels(run.x).astype(np.float64)  # [N, H, W, 3]
        lo = np.maximum(np.ceil(clean_px - self.eps - 1e-4), 0.0)
        hi = np.minimum(np.floor(clean_px + self.eps + 1e-4), 255.0)
        base = np.clip(np.rint(clean_px), lo, hi)
        level = float(math.floor(self.eps + 1e-4))
        _, height, width, channels = clean_px.shape
        streams = self._streams(run)

        def box(px: np.ndarray, rows) -> np.ndarray:
            return np.clip(px, lo[rows], hi[rows])

        # query 1: vertical stripes
        signs = np.stack([s.choice([-1.0, 1.0], size=(1, width, channels)) for s in streams])
        best = box(base + level * signs, slice(None))
        probs = classifier.probabilities(pre.to_model(best))
        loss, margin = square_loss(probs, target, towards)
        used = np.ones(n, np.int64)
        flip_query = np.where(probs.argmax(1) != clean_top1, 1, -1)
        first_flip = np.full(n, -1)  # the step record that first showed the flip
        step, since = 0, 1
        for iteration in range(1, self.queries):
            active = np.flatnonzero(margin > 0)
            if len(active) == 0:
                break
            side = square_side(p_selection(self.p_init, iteration - 1, self.queries),
                               height, width)
            candidate = best[active].copy()
            for j, i in enumerate(active):
                stream = streams[i]
                r = int(stream.integers(0, height - side + 1))
                c = int(stream.integers(0, width - side + 1))
                window = (slice(r, r + side), slice(c, c + side))
                for _ in range(_REDRAWS):
                    sign = stream.choice([-1.0, 1.0], size=channels)
                    moved = np.clip(base[i][window] + level * sign, lo[i][window], hi[i][window])
                    if np.any(moved != best[i][window]):
                        break
                candidate[j][window] = moved
            new_probs = classifier.probabilities(pre.to_model(candidate))
            new_loss, new_margin = square_loss(new_probs, target[active], towards[active])
            used[active] += 1
            better = new_loss < loss[active]
            kept = active[better]
            best[kept], probs[kept] = candidate[better], new_probs[better]
            loss[kept], margin[kept] = new_loss[better], new_margin[better]
            flipped = (probs.argmax(1) != clean_top1) & (flip_query < 0)
            flip_query[flipped] = used[flipped]
            since += 1
            if since >= self.every:
                step, since = step + 1, 0
                first_flip[(first_flip < 0) & (flip_query > 0)] = step
                yield self._record(run, step, probs, best)
        if since or step == 0:  # the queries after the last record (or an early end)
            step += 1
            first_flip[(first_flip < 0) & (flip_query > 0)] = step
            yield self._record(run, step, probs, best)
        adv = pre.to_model(best)
        result = finish(classifier, run.clean, adv, target, run.direction, step, first_flip,
                        [""] * n, adversarial_probabilities=probs)
        linf = np.abs(best - base).reshape(n, -1).max(axis=1)
        return replace(result, first_flip_linf=np.where(flip_query > 0, linf, np.inf),
                       queries_to_flip=flip_query.astype(np.float64),
                       queries_used=used)

    def _record(self, run: AttackRun, step: int, probs: np.ndarray,
                best: np.ndarray) -> StepRecord:
        loss = -_log(probs[np.arange(len(probs)), run.target])
        return StepRecord(step, self.steps, probs.copy(), loss.astype(np.float32),
                          run.preprocessing.to_model(best))


def _check_queries(value: int) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"queries must be a whole number, got {value!r}") from None
    if number != int(number) or not 1 <= number <= MAX_QUERIES:
        raise ValueError(f"queries must be a whole number in 1-{MAX_QUERIES}, got {value}")
    return int(number)


def _check_p(value: float) -> float:
    p = float(value)
    if not 0.0 < p <= 1.0:
        raise ValueError(f"p_init (fraction of pixels a square covers) must be in (0, 1], "
                         f"got {value}")
    return p
