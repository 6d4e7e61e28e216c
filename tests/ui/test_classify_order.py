"""The selected image (and the attacked one) is classified first in a big folder, also when the
selection changes while the folder is being classified."""

from __future__ import annotations

import numpy as np
from PIL import Image

from advgui.core.app_state.attack_record import AttackRequest
from advgui.core.model.registry import load_classifier
from advgui.ui.workers.classify_queue import ClassifyQueue
from advgui.ui.workers.engine import (CLASSIFY_BATCH, Classified, ClassifyDone, EngineWorker,
                                      classify_folder)


def big_folder(tmp_path, n: int) -> list[str]:
    folder = tmp_path / "big"
    folder.mkdir()
    rng = np.random.default_rng(3)
    for i in range(n):
        Image.fromarray(rng.integers(0, 256, (24, 24, 3), dtype=np.uint8)).save(
            folder / f"photo_{i:05d}.png")
    return sorted(str(p) for p in folder.iterdir())


def test_queue_gives_the_wanted_first_alone_then_the_rest_once_each() -> None:
    paths = [f"/p/{i:03d}.jpg" for i in range(20)]
    queue = ClassifyQueue(4, paths)
    queue.prioritise(["/p/019.jpg", "/nowhere.jpg", "/p/010.jpg"])
    assert queue.take(8) == ["/p/019.jpg", "/p/010.jpg"]  # alone: their verdicts come sooner
    assert queue.take(8) == paths[:8]
    queue.prioritise(["/p/003.jpg", "/p/015.jpg"])  # 003 is done already
    assert queue.take(8) == ["/p/015.jpg"]
    assert queue.discard("/p/016.jpg") and not queue.discard("/p/016.jpg")
    rest = queue.take(100)
    assert rest == [p for p in paths[8:] if p not in {"/p/010.jpg", "/p/015.jpg", "/p/016.jpg",
                                                      "/p/019.jpg"}]
    assert queue.take(8) == [] and len(queue) == 0


def test_a_new_selection_mid_way_is_classified_in_the_next_batch(tiny_model, tmp_path) -> None:
    """The real classify job's generator, stepped batch by batch as the engine's Job does: the
    selection moves while the folder is half done, and the next batch is the new selection."""
    paths = big_folder(tmp_path, 6 * CLASSIFY_BATCH)
    clf = load_classifier(str(tiny_model), device="cpu")
    queue = ClassifyQueue(1, paths)
    queue.prioritise([paths[-1]])
    job = classify_folder(clf, queue)
    first = next(job)
    assert [v.path for v in first.verdicts] == [paths[-1]]  # the selected image, before all
    seen = [v.path for v in first.verdicts]
    for _ in range(2):
        seen += [v.path for v in next(job).verdicts]
    queue.prioritise([paths[-3], paths[-2]])  # the user clicks another photo mid-way
    after = next(job)
    assert [v.path for v in after.verdicts] == [paths[-3], paths[-2]]
    seen += [v.path for v in after.verdicts]
    for record in job:
        if isinstance(record, Classified):
            seen += [v.path for v in record.verdicts]
        else:
            assert isinstance(record, ClassifyDone) and record.generation == 1
            break
    assert sorted(seen) == paths  # every photo once


def test_engine_classifies_the_selected_image_of_a_big_folder_first(tiny_model, tmp_path,
                                                                     qtbot) -> None:
    paths = big_folder(tmp_path, 200)
    engine = EngineWorker()
    with qtbot.waitSignal(engine.modelLoaded, timeout=30_000):
        engine.loadModel(str(tiny_model), "cpu")
    order: list[str] = []
    engine.classified.connect(lambda _generation, v: order.append(v.path))
    engine.prioritise([paths[150]])  # the window's selection, asked as the folder opens
    with qtbot.waitSignal(engine.classifyFinished, timeout=60_000):
        engine.classify(1, paths)
    assert order[0] == paths[150]
    assert sorted(order) == paths
    engine.stop()


def test_an_attacked_image_has_its_verdict_when_the_attack_starts(tiny_model, tmp_path,
                                                                 qtbot) -> None:
    """Its clean probabilities are its verdict: never "not classified yet" beside its own
    attack while the rest of the folder waits; and it is not classified a second time."""
    paths = big_folder(tmp_path, 120)
    engine = EngineWorker()
    with qtbot.waitSignal(engine.modelLoaded, timeout=30_000):
        engine.loadModel(str(tiny_model), "cpu")
    events: list[str] = []
    engine.classified.connect(lambda _generation, v: events.append(v.path))
    engine.attackStarted.connect(lambda _start: events.append("attack started"))
    engine.attackFinished.connect(lambda _outcome: events.append("attack finished"))
    engine.classify(1, paths)
    engine.arm()
    with qtbot.waitSignal(engine.classifyFinished, timeout=60_000):
        engine.attack(AttackRequest(paths[-1], "fast", "inverse", 8.0))
    started = events.index("attack started")
    assert events[started + 1] == paths[-1]
    assert events.index(paths[-1]) < events.index("attack finished")
    verdicts = [e for e in events if not e.startswith("attack")]
    assert sorted(verdicts) == paths  # every photo once
    engine.stop()


def test_the_window_classifies_the_photo_selected_in_its_browser_first(tiny_model, tmp_path,
                                                                      settings, qtbot) -> None:
    """A big folder opened and its last photo selected while the model loads: that photo's
    verdict is the first of the folder's."""
    from advgui.ui.main_window import MainWindow

    paths = big_folder(tmp_path, 200)
    w = MainWindow(str(tiny_model), "cpu", settings=settings)
    qtbot.addWidget(w)
    order: list[str] = []
    w.engine.classified.connect(lambda _generation, v: order.append(v.path))
    w.open_paths(paths)  # the model's reply waits for the event loop: it is not in use yet
    w.browser.select_path(paths[-1])  # as a click on it
    qtbot.waitUntil(lambda: len(w.verdicts) == len(paths), timeout=60_000)
    assert order[0] == paths[-1]
    w.close()
    assert not w.engine.running and not w.thumbs.running
