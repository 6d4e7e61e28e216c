"""The order a folder is classified in: the images the user looks at first, then the rest.

A folder of 1,278 photos takes minutes on a laptop's CPU; the photo the user selected (and the
thumbnails on screen) must not wait for the ones before it in the list. The engine's classify job
takes its batches from this queue, and the window re-prioritises it while the job runs, so the
newest wish takes effect at the job's next batch."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable


class ClassifyQueue:
    """Thread-safe: the paths of one folder generation still waiting for their verdict."""

    def __init__(self, generation: int = 0, paths: Iterable[str] = ()) -> None:
        self.generation = generation
        self._order: deque[str] = deque(paths)
        self._waiting = set(self._order)
        self._first: deque[str] = deque()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._waiting)

    def prioritise(self, paths: Iterable[str]) -> None:
        """These first, in this order; replaces the previous wish (the selection moved on)."""
        with self._lock:
            self._first = deque(p for p in paths if p in self._waiting)

    def take(self, n: int) -> list[str]:
        """Up to n waiting paths, the wanted ones first. The wanted ones come alone, without
        others of the list in their batch: their verdicts arrive a batch sooner."""
        with self._lock:
            batch = self._pop(self._first, n)
            return batch or self._pop(self._order, n)

    def _pop(self, source: deque[str], n: int) -> list[str]:
        batch: list[str] = []
        while source and len(batch) < n:
            path = source.popleft()
            if path in self._waiting:  # a path taken from the other deque is skipped
                self._waiting.discard(path)
                batch.append(path)
        return batch

    def discard(self, path: str) -> bool:
        """Take one path out (its verdict came another way); True when it was waiting."""
        with self._lock:
            if path not in self._waiting:
                return False
            self._waiting.discard(path)
            return True

    def clear(self) -> None:
        with self._lock:
            self._order.clear()
            self._first.clear()
            self._waiting.clear()
