"""The browser's memory stays bounded on huge folders."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from advgui.ui import image_browser, thumbnails
from advgui.ui.image_browser import ImageListModel
from advgui.ui.thumbnails import ThumbnailWorker


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
    worker = ThumbnailWorker()
    for i in range(50):
        worker.request(f"/photos/{i}.jpg")
    worker.request("/photos/46.jpg")  # asked again: moves to the front of the queue
    assert worker._pending == [f"/photos/{i}.jpg" for i in (45, 47, 48, 49, 46)]
