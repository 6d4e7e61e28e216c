"""Cold-start times of the desktop app: window shown, first image classified.

    QT_QPA_PLATFORM=offscreen python benchmarks/startup.py [IMAGE] [--exe build/dist/advgui/advgui]

Drop the page cache first (as root: sync; echo 3 > /proc/sys/vm/drop_caches) for a truly cold run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("image", nargs="?")
    ap.add_argument("--exe", default=shutil.which("advgui") or "advgui")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if args.image is None:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from advgui.zoo.sources import Shared, default_shared

        args.image = str(Shared(default_shared()).nips17()[0][0])
    for run in range(args.runs):
        env = {**os.environ, "ADVGUI_STARTUP_PROBE": f"{time.time():.6f}"}
        out = subprocess.run([args.exe, args.image, "--device", "cpu"], env=env, capture_output=True,
                             text=True, timeout=300)
        marks = dict(line.split() for line in out.stdout.splitlines() if line.count(" ") == 1)
        print(f"run {run + 1}: window {float(marks['window_shown']):.2f} s, first classification "
              f"{float(marks['first_classification']):.2f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
