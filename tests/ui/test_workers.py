"""The window's workers on the one Job mechanism: thumbnails and the engine's requests."""

from __future__ import annotations

from advgui.core.app_state.attack_record import AttackRequest
from advgui.ui.workers.engine import CLASSIFY_BATCH, EngineWorker
from advgui.ui.workers.thumbnails import ThumbnailService


def test_thumbnail_job_ends_with_its_queue_and_a_request_starts_another(image_folder, qtbot):
    thumbs = ThumbnailService()
    made: list[str] = []
    thumbs.ready.connect(lambda path, _image: made.append(path))
    paths = sorted(str(p) for p in image_folder.glob("*.png"))
    for p in paths[:2]:
        thumbs.request(p)
    qtbot.waitUntil(lambda: len(made) == 2 and not thumbs.running, timeout=10_000)
    # Both made, whichever the job took first (the latest-first order itself is ThumbnailQueue's,
    # tested in test_image_browser: here the job may start on the first before the second comes).
    assert sorted(made) == sorted(paths[:2])
    thumbs.request(paths[2])  # no job idles on the pool: a new request starts one
    qtbot.waitUntil(lambda: len(made) == 3 and not thumbs.running, timeout=10_000)
    thumbs.stop()


def test_an_attack_takes_the_engine_over_between_batches_and_the_folder_is_finished_after(
        tiny_model, image_folder, qtbot):
    engine = EngineWorker()
    with qtbot.waitSignal(engine.modelLoaded, timeout=30_000):
        engine.loadModel(str(tiny_model), "cpu")
    # A folder lists each file once (the engine's queue keeps a path once): copies, not repeats.
    photos = sorted(image_folder.glob("*.png"))
    paths = []
    for i in range(len(photos) * 5 * CLASSIFY_BATCH):
        copy = image_folder / f"copy{i:04d}.png"
        copy.write_bytes(photos[i % len(photos)].read_bytes())
        paths.append(str(copy))
    order: list[str] = []
    engine.classified.connect(lambda generation, v: order.append("verdict"))
    engine.attackStarted.connect(lambda start: order.append("attack"))
    engine.classify(1, paths)
    engine.arm()
    with qtbot.waitSignal(engine.classifyFinished, timeout=60_000):
        with qtbot.waitSignal(engine.attackFinished, timeout=60_000):
            engine.attack(AttackRequest(paths[0], "fast", "inverse", 8.0))
    assert order.count("verdict") == len(paths)  # every path once: none lost, none twice
    # It came between two batches (how many came first depends on the machine), not after the
    # whole folder; the rest of the folder was classified after it.
    assert order.index("attack") % CLASSIFY_BATCH == 0 and order[-1] == "verdict"
    engine.stop()
    assert not engine.running
