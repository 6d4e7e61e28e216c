"""Issue 21: one StudyConfig <-> dict conversion, used by the manifest, merge and the Ray runner."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

from advgui.core.records.config import StudyConfig
from advgui.core.tiers import TierThresholds

# A value for every field, none of them the default: a field added to StudyConfig without a
# value here fails the first assertion, and one to_dict/from_dict forget fails the second.
EVERY_FIELD = dict(
    folder=Path("/photos"), out=Path("/study"), per_tier=7, methods=("pgd", "fast"),
    targets=("inverse",), eps=(2.0, 16.0), alpha=0.5, steps=9, seed=4, batch=5,
    thresholds=TierThresholds(high_min=0.6, medium_min=0.2), labels_csv=Path("/labels.csv"),
    tiers="quantile", shard="2/3", clean_from=Path("/classified"), classify_only=False,
    transfer_to=("resnet", "/m/other.onnx"), destroy=("jpeg:75", "blur:1"), queries=300)


def test_every_field_round_trips_through_json() -> None:
    config = StudyConfig(**EVERY_FIELD)
    default = StudyConfig(folder=Path("/x"), out=Path("/y"))
    unset = [f.name for f in fields(StudyConfig) if f.name not in EVERY_FIELD or (
        getattr(config, f.name) == getattr(default, f.name) and f.name != "classify_only")]
    assert not unset, f"give these fields a non-default value in EVERY_FIELD: {unset}"
    back = StudyConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert back == config
    assert [f.name for f in fields(StudyConfig)] == list(config.to_dict())
    # classify_only cannot be set together with a shard: its own round trip
    alone = StudyConfig(folder=Path("/x"), out=Path("/y"), classify_only=True)
    assert StudyConfig.from_dict(json.loads(json.dumps(alone.to_dict()))) == alone


def test_an_older_manifest_without_the_newer_keys_reads_with_their_defaults() -> None:
    old = {"folder": "/photos", "out": "/study", "per_tier": None, "methods": ["fast"],
           "targets": ["inverse"], "eps": [8.0], "alpha": None, "steps": None, "seed": 0,
           "batch": 8, "thresholds": {"high_min": 0.3, "medium_min": 0.15}}
    config = StudyConfig.from_dict(old)
    assert config.transfer_to == () and config.destroy == () and config.labels_csv is None
    assert config.tiers == "fixed" and config.shard is None
