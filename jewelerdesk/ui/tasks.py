"""Work that may take more than ~100 ms runs here, off the UI thread.

A task is a plain function ``fn(shop) -> result`` given its own ``Shop`` connection (SQLite
connections belong to one thread). Results and errors come back to the UI thread through
Qt signals; widgets are only touched there.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from jewelerdesk.services.shop import Shop
from jewelerdesk.store.audit import Actor

log = logging.getLogger(__name__)


class _Signals(QObject):
    finished = Signal(object)
    failed = Signal(object, str)
    progress = Signal(int, int)


class Task(QRunnable):
    def __init__(self, shop: Shop, fn: Callable[..., Any], with_progress: bool = False):
        super().__init__()
        self.paths = shop.paths
        # the task's writes are logged as the person signed in when it was started (a copy:
        # an approval or a sign-in on the UI thread meanwhile does not leak into it)
        self.actor = Actor(shop.actor.name, shop.actor.channel)
        self.fn = fn
        self.with_progress = with_progress
        self.signals = _Signals()
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            shop = Shop.open(self.paths, sweep=False, actor=self.actor)
            try:
                if self.with_progress:
                    result = self.fn(shop, self.signals.progress.emit)
                else:
                    result = self.fn(shop)
            finally:
                shop.close()
        except Exception as exc:  # delivered to the UI thread, shown there
            tb = traceback.format_exc()
            log.info("background task failed: %s", tb)
            self.signals.failed.emit(exc, tb)
            return
        self.signals.finished.emit(result)


_pool: QThreadPool | None = None
_running: set[Task] = set()


def pool() -> QThreadPool:
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(2)
    return _pool


def run_task(
    shop: Shop,
    fn: Callable[..., Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException, str], None],
    on_progress: Callable[[int, int], None] | None = None,
) -> Task:
    """Run ``fn(shop)`` (or ``fn(shop, progress)``) in the pool; callbacks run on the UI thread."""
    task = Task(shop, fn, with_progress=on_progress is not None)
    _running.add(task)

    def done(result: Any) -> None:
        _running.discard(task)
        on_done(result)

    def failed(exc: BaseException, tb: str) -> None:
        _running.discard(task)
        on_error(exc, tb)

    task.signals.finished.connect(done)
    task.signals.failed.connect(failed)
    if on_progress is not None:
        task.signals.progress.connect(on_progress)
    pool().start(task)
    return task


def wait_for_all(timeout_ms: int = 30000) -> bool:
    return pool().waitForDone(timeout_ms)
