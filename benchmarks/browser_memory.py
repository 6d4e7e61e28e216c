"""Memory of the image browser scrolled through a big folder, with and without its thumbnail
cap, measured side by side in one run.

    QT_QPA_PLATFORM=offscreen python benchmarks/browser_memory.py [--images 10000]

Makes a folder of links to the nips17-dev photos (or --folder's; repeated up to --images), shows it in the
real browser widget with the real thumbnail thread, scrolls from top to bottom like a user, and
prints the resident memory along the way, the thumbnails made and the thumbnails held.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from advgui.core.records.inputs import list_image_files  # noqa: E402
from advgui.ui.widgets import image_list_model  # noqa: E402
from advgui.ui.widgets.image_browser import ImageBrowser, ImageListModel  # noqa: E402
from advgui.ui.workers.thumbnails import ThumbnailService  # noqa: E402
from advgui.zoo.sources import Shared, default_shared  # noqa: E402
from benchmarks.gradient_speed import rss_mb  # noqa: E402


def pump(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def scroll_through(paths: list[str], steps: int) -> dict:
    model = ImageListModel()
    thumbs = ThumbnailService()
    made = []
    model.thumbnailWanted.connect(thumbs.request)  # as in the window
    thumbs.ready.connect(model.set_thumbnail)
    thumbs.ready.connect(lambda p, _im: made.append(p))
    browser = ImageBrowser(model)
    browser.resize(300, 900)
    browser.show()
    start = rss_mb()
    model.set_paths(paths)
    bar = browser.view.verticalScrollBar()
    samples, t0 = {}, time.perf_counter()
    for step in range(steps + 1):
        bar.setValue(bar.maximum() * step // steps)
        browser.grab()  # paint now (offscreen windows are not painted on their own)
        pump(100)
        if step % (steps // 4) == 0:
            samples[f"{100 * step // steps}%"] = round(rss_mb() - start, 1)
    pump(1000)
    result = {"rss_growth_mb": samples, "thumbnails_made": len(made),
              "thumbnails_held": sum(e.thumb is not None for e in model.entries),
              "seconds": round(time.perf_counter() - t0, 1)}
    thumbs.stop()
    browser.close()
    browser.deleteLater()
    pump(200)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--images", type=int, default=10_000)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--folder", type=Path, help="photos to repeat (default: nips17-dev)")
    args = ap.parse_args()
    app = QApplication.instance() or QApplication([])
    if args.folder:
        photos = list_image_files(args.folder)
    else:
        photos, _ = Shared(default_shared()).nips17()
    result: dict = {"images": args.images}
    with tempfile.TemporaryDirectory(prefix="advgui-big-folder-") as tmp:
        for i in range(args.images):
            photo = photos[i % len(photos)]
            os.symlink(photo, Path(tmp) / f"{i:06d}{photo.suffix}")
        paths = [str(p) for p in list_image_files(Path(tmp))]
        result["capped"] = dict(scroll_through(paths, args.steps),
                                cap=image_list_model.MAX_THUMBNAILS)
        image_list_model.MAX_THUMBNAILS = 10 ** 9
        result["uncapped"] = scroll_through(paths, args.steps)
    print(json.dumps(result, indent=1))
    out = ROOT / "benchmarks" / "results" / "browser_memory.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
