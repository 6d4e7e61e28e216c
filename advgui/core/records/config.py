"""What a study is asked to do (StudyConfig), what it reports as it goes and when it ends, and
how its clean.csv rows are checked when read back."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from advgui.core.attacks import METHODS, Attack, Target, attack_from_settings  # noqa: F401 (METHODS: re-exported)
from advgui.core.records.schema import TIERS, eps_key
from advgui.core.records.shards import Shard
from advgui.core.tiers import Tier, TierThresholds

CLEAN_COLUMNS = ["file", "truth", "tier", "top1", "top1_name", "top1_probability", "status",
                 "error", "bytes", "sha256", "study_id"]
DEFAULT_METHODS = ("fast", "iterative")  # the seed's two; pgd and momentum on request
TIER_MODES = ("fixed", "quantile")


def quantile_thresholds(probabilities: list[float]) -> TierThresholds:
    """Thresholds that cut the images into equal thirds by confidence rank."""
    values = sorted(probabilities)
    n = len(values)
    if n < 3 or not 0 < values[n // 3] < values[2 * n // 3]:
        raise ValueError(f"quantile tiers need at least 3 images with distinct confidences "
                         f"({n} classified)")
    return TierThresholds(high_min=values[2 * n // 3], medium_min=values[n // 3])


def _unique(values) -> tuple:
    return tuple(dict.fromkeys(values))


def validate_clean_row(row: dict[str, str]) -> str | None:
    """Why a row of clean.csv cannot be used, or None."""
    if not row["file"]:
        return "file is empty"
    try:
        int(row["truth"])
    except ValueError:
        return f"truth {row['truth']!r} is not a whole number"
    if row["status"] == "skipped":
        return None
    if row["status"] != "ok" or row["tier"] not in TIERS:
        return f"status {row['status']!r} / tier {row['tier']!r} is not a classified image"
    try:
        int(row["top1"]), int(row["bytes"])
        if not 0 <= float(row["top1_probability"]) <= 1:
            return f"top1_probability {row['top1_probability']!r} is outside 0-1"
    except ValueError:
        return "top1, bytes or top1_probability is not a number"
    return None


@dataclass(frozen=True)
class StudyConfig:
    folder: Path
    out: Path
    per_tier: int | None = None
    methods: tuple[str, ...] = DEFAULT_METHODS
    targets: tuple[str, ...] = ("least-likely", "inverse")
    eps: tuple[float, ...] = (8.0,)
    alpha: float | None = None
    steps: int | None = None
    seed: int = 0
    batch: int = 8
    queries: int | None = None  # Square Attack's query budget per image (None: its default)
    thresholds: TierThresholds = field(default_factory=TierThresholds)
    labels_csv: Path | None = None
    tiers: str = "fixed"  # "fixed": the thresholds above; "quantile": equal thirds by confidence
    # Not part of what defines the study (its rows are the same however it is run):
    shard: str | None = None  # "K/N": attack only this part of the sample (advgui.core.records.shards)
    clean_from: Path | None = None  # a classify-only study of the same folder whose clean.csv to use
    classify_only: bool = False  # classify and write clean.csv; attack nothing
    transfer_to: tuple[str, ...] = ()  # other models that score every adversarial (transfer.csv)
    destroy: tuple[str, ...] = ()  # transformations of every adversarial (destroy.csv), e.g. jpeg:75

    def __post_init__(self) -> None:
        """Refuse what cannot make a study; merge repeats (eps as the reports print it)."""
        if self.tiers not in TIER_MODES:
            raise ValueError(f"--tiers must be one of {', '.join(TIER_MODES)} (got {self.tiers!r})")
        if self.batch < 1:
            raise ValueError(f"--batch must be at least 1 (got {self.batch})")
        if self.per_tier is not None and self.per_tier < 1:
            raise ValueError(f"--per-tier must be at least 1 (got {self.per_tier})")
        if not self.methods or not self.targets or not self.eps:
            raise ValueError("a study needs at least one method, target and eps")
        bad = [e for e in self.eps if not 0 < e <= 255]  # also catches nan
        if bad or any(e != e for e in self.eps):
            raise ValueError(f"eps must be in (0, 255] pixel levels (got {bad[0] if bad else 'nan'})")
        if self.alpha is not None and not 0 < self.alpha <= 255:
            raise ValueError(f"--alpha must be in (0, 255] pixel levels (got {self.alpha})")
        if self.seed < 0:
            raise ValueError(f"--seed must be 0 or more (got {self.seed})")
        if self.steps is not None and not 1 <= self.steps <= 10_000:
            raise ValueError(f"--steps must be 1-10000 (got {self.steps})")
        if self.queries is not None and not 1 <= self.queries <= 100_000:
            raise ValueError(f"--queries must be 1-100000 (got {self.queries})")
        if self.shard is not None:
            object.__setattr__(self, "shard", str(Shard.parse(self.shard)))
        if self.shard and self.classify_only:
            raise ValueError("--classify-only classifies the whole folder; it takes no --shard")
        object.__setattr__(self, "eps", _unique(eps_key(e) for e in self.eps))
        object.__setattr__(self, "methods", _unique(self.methods))
        object.__setattr__(self, "targets", _unique(self.targets))
        object.__setattr__(self, "transfer_to", _unique(self.transfer_to))
        from advgui.core.model.transforms import Transform  # noqa: PLC0415 (validated before any work)

        object.__setattr__(self, "destroy", _unique(str(Transform.parse(t)) for t in self.destroy))

    def to_dict(self) -> dict:
        """The config as JSON-ready values, in field order (manifest.json's "config"): paths as
        strings, the thresholds as a dict, tuples as they are (JSON writes them as lists)."""
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()
                if not (k in _LATER_UNSET and v is None)}

    @classmethod
    def from_dict(cls, data: dict) -> "StudyConfig":
        """The config to_dict wrote (read back from JSON). A key an older manifest lacks takes
        its default; the values are checked again as any new config's are."""
        values = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value = data[f.name]
            if f.name in _PATHS:
                value = None if value is None else Path(value)
            elif f.name == "thresholds":
                value = TierThresholds(**value)
            elif isinstance(value, list):
                value = tuple(value)
            values[f.name] = value
        return cls(**values)

    @property
    def part(self) -> Shard | None:
        return Shard.parse(self.shard) if self.shard else None

    def attacks(self) -> list[tuple[str, float, Attack]]:
        return [(method, eps, attack_from_settings(method, eps=eps, alpha=self.alpha,
                                                   steps=self.steps, seed=self.seed,
                                                   queries=self.queries))
                for eps in self.eps for method in self.methods]

    def jobs(self, classes: int) -> list[tuple[str, float, Target]]:
        """(method, eps, target) in the order a run attacks them: eps by eps, method by method,
        then target (class:5 and class:05 are one). A single run appends images.csv's rows in
        this order and a merge of shards writes them in it, so both give the same file."""
        targets = list({str(t): t for t in (Target.parse(x, classes) for x in self.targets)}
                       .values())
        return [(method, eps, target) for eps in self.eps for method in self.methods
                for target in targets]


_PATHS = ("folder", "out", "labels_csv", "clean_from")
# Fields a later release added: left out of to_dict while unset, so the manifest of a study that
# does not use them reads as the release before wrote it (a merge of its shards compares them).
_LATER_UNSET = ("queries",)


def sample_rows(clean_rows: list[dict], seed: int, per_tier: int | None) -> list[dict]:
    """Up to per_tier images of each tier, drawn deterministically with the seed (from the whole
    folder's rows, so every shard and a merge draw the same sample)."""
    import numpy as np  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    chosen = []
    for tier in Tier:
        rows = sorted((r for r in clean_rows if r["tier"] == tier.value), key=lambda r: r["file"])
        order = rng.permutation(len(rows))
        if per_tier is not None:
            order = order[:per_tier]
        chosen += [rows[j] for j in sorted(order)]
    return chosen


@dataclass(frozen=True)
class StudyProgress:
    phase: str  # "classify" or "attack"
    done: int
    total: int
    tier_counts: dict[str, int]
    message: str = ""
    new: int = 0  # of done, what this run did in this phase (a resumed study had the rest)


@dataclass
class StudyOutcome:
    rows: int
    summary: list[dict]
    skipped: list[tuple[str, str]]
    cancelled: bool
    seconds: float
    new_rows: int = 0  # rows this run added (a resumed study had the others already)
    notes: list[str] = field(default_factory=list)  # what was repaired or re-scored, and why
    fragility: list[dict] = field(default_factory=list)  # confidence vs eps-to-flip, per attack
    unscored: int = 0  # attack rows transfer/destroy could not score (a lost photo or PNG)
