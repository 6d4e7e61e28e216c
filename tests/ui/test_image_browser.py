"""The browser's memory stays bounded on huge folders."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from advgui.ui.widgets import image_browser
from advgui.ui.workers import thumbnails
from advgui.ui.widgets.image_browser import ImageListModel
from advgui.ui.workers.thumbnails import ThumbnailQueue


def test_thumbnails_kept_are_bounded_and_remade_on_demand(qtbot, monkeypatch) -> None:
    monkeypatch.setattr(image_browser, "MAX_THUMBNAILS", 10)
    model = ImageListModel()
    paths = [f"/photos/{i:05d}.jpg" for i in range(100)]
    model.set_paths(paths)
    image = QImage(8, 8, QImage.Format.Format_RGB888)
    for p in paths:  # a user scrolling through the whole folder
        model.set_thumbnail(p, image)
    kept = [e.path for e in model.entries if e.thumb is not None]
    assert kept == paths[-10:]
    assert all(e.decorated is None for e in model.entries[:90])
    wanted = []
    model.thumbnailWanted.connect(wanted.append)
    model.data(model.index(0), Qt.ItemDataRole.DecorationRole)  # scrolled back to the top
    assert wanted == [paths[0]]


def test_pending_thumbnail_requests_are_bounded_newest_kept(monkeypatch) -> None:
    monkeypatch.setattr(thumbnails, "MAX_PENDING", 5)
    queue = ThumbnailQueue()
    for i in range(50):
        queue.request(f"/photos/{i}.jpg")
    queue.request("/photos/46.jpg")  # asked again: moves to the front of the queue
    assert queue._pending == [f"/photos/{i}.jpg" for i in (45, 47, 48, 49, 46)]


def test_counts_kept_as_verdicts_arrive_equal_a_recount(qtbot) -> None:
    """The counts are kept incrementally (a recount per verdict was quadratic: minutes for a
    folder of 50,000); they must stay what a recount gives, through thresholds and labels."""
    import numpy as np

    from advgui.core.tiers import TierThresholds
    from advgui.ui.widgets.image_browser import ImageListModel

    model = ImageListModel()
    paths = [f"/x/{i}.png" for i in range(300)]
    model.set_paths(paths)
    rng = np.random.default_rng(0)

    def recount():
        counts = {"high": 0, "medium": 0, "low": 0, "unreadable": 0}
        right = labelled = 0
        for e in model.entries:
            t = model.tier(e)
            if t:
                counts[t.value] += 1
            counts["unreadable"] += bool(e.error)
            if e.truth >= 0 and e.top1 >= 0:
                labelled += 1
                right += e.top1 == e.truth
        return counts, (right, labelled)

    for step in range(900):
        p = paths[rng.integers(len(paths))]
        if step % 7 == 0:
            model.set_truth(p, int(rng.integers(3)), "x")
        elif step % 11 == 0:
            model.set_verdict(p, -1.0, "", "cannot be read")
        else:
            model.set_verdict(p, float(rng.random()), "y", "", int(rng.integers(3)))
        if step == 450:
            model.set_thresholds(TierThresholds(0.6, 0.2))
    counts, truth = recount()
    assert model.tier_counts() == counts and model.truth_counts() == truth
