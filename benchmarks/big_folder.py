"""The classification pass over a big folder: images/s and peak memory at 5,000 and 50,000 files.

    python benchmarks/big_folder.py [--sizes 5000 50000] [--inception 500]

Generates photos-sized JPEGs (256 x 256 noise, about 50 KB each) under a temporary folder and
runs the real `advgui-cli study --classify-only` on them in a child process per size, with the
tiny test classifier (so the figure is the pipeline's own cost: listing, decoding, resizing,
CSV rows written batch by batch) and, on the first --inception files, with the shipped
InceptionV3 (the model's cost). Peak memory is the child's maximum resident set. Writes
benchmarks/results/big_folder.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers.models import tiny_model_file  # noqa: E402

OUT = ROOT / "benchmarks" / "results"
CHILD = """
import resource, sys, time
from advgui.cli.main import main
t0 = time.perf_counter()
rc = main(sys.argv[1:])
print("BENCH", rc, time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def make_images(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    have = len(os.listdir(folder))
    rng = np.random.default_rng(have)
    base = rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)
    for i in range(have, count):
        # a different image each time (a shifted copy of one noise field: cheap to make)
        Image.fromarray(np.roll(base, i, axis=(0, 1))).save(folder / f"img_{i:06d}.jpg", quality=85)


def classify(folder: Path, out: Path, model: str) -> dict:
    cmd = [sys.executable, "-c", CHILD, "study", str(folder), "--out", str(out), "--model", model,
           "--device", "cpu", "--classify-only", "--batch", "16"]
    done = subprocess.run(cmd, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True)
    line = next(l for l in done.stdout.splitlines() if l.startswith("BENCH"))
    _, rc, seconds, maxrss_kb = line.split()
    assert rc == "0", done.stderr[-2000:]
    files = len(os.listdir(folder))
    return {"files": files, "seconds": float(seconds), "images_per_s": files / float(seconds),
            "peak_rss_mb": int(maxrss_kb) / 1024}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[5000, 50000])
    ap.add_argument("--inception", type=int, default=500)
    ap.add_argument("--work", type=Path, help="keep the generated images here (default: a "
                                              "temporary folder)")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="advgui-big-folder-"))
    work.mkdir(parents=True, exist_ok=True)
    tiny = tiny_model_file(work / "tiny.onnx")
    result = {"machine": os.uname().machine, "cpus": os.cpu_count(), "tiny_model": {},
              "inception_v3": None}
    for size in sorted(args.sizes):
        folder = work / f"images-{size}"
        t0 = time.perf_counter()
        make_images(folder, size)
        print(f"{size} images made in {time.perf_counter() - t0:.0f} s", flush=True)
        result["tiny_model"][str(size)] = r = classify(folder, work / f"out-{size}", str(tiny))
        print(f"tiny model, {size} files: {r}", flush=True)
    if args.inception:
        folder = work / f"images-inception-{args.inception}"
        make_images(folder, args.inception)
        result["inception_v3"] = r = classify(folder, work / "out-inception", "inception_v3")
        print(f"InceptionV3, {args.inception} files: {r}", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "big_folder.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
