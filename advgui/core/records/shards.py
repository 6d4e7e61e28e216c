"""Cutting one study into N disjoint parts any scheduler can run (Slurm job arrays, Ray tasks).

A file belongs to shard k of N by a hash of its path inside the images folder: the same on every
machine, whatever order a file system lists it in. The per-tier sample is drawn from the whole
folder's clean.csv first, so the shards together attack exactly the images one unsharded run
would, each only its own.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as Slurm's SLURM_ARRAY_TASK_ID usually is
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, relative_path: str) -> bool:
        return shard_of(relative_path, self.count) == self.index

    @classmethod
    def parse(cls, text: str) -> "Shard":
        m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
        if not m:
            raise ValueError(f"--shard must be K/N, for example 2/8 (got {text!r})")
        k, n = int(m.group(1)), int(m.group(2))
        if n < 1 or not 1 <= k <= n:
            raise ValueError(f"--shard {text}: K must be 1 to N and N at least 1 (shards are "
                             "numbered from 1, like Slurm array tasks)")
        return cls(k, n)


def shard_of(relative_path: str, count: int) -> int:
    """1 ... count: which shard a file belongs to (its path's SHA-256, not its listing order)."""
    digest = hashlib.sha256(relative_path.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1
