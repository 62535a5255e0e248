"""The bridge between the Qt-free core and the GUI thread: QRunnables on a QThreadPool.

Rules (DESIGN.md house style): run() never touches a widget; results travel through a signals QObject whose
receivers are @Slot methods on GUI-thread objects; the owner keeps a reference until `finished`; cancel goes
through the core's CancelToken (which closes blocked sockets), never QThread.terminate.

Progress can arrive thousands of times a second. ProbeRun stores it under a lock and emits `updated` only
when nothing is waiting to be drained, so at most one signal is ever queued; LiveUpdater drains it at most
~30 times a second. However fast the probe talks, the GUI thread does a bounded amount of work.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QTimer, Signal, Slot

from ..cancel import CancelToken
from ..model import ProbeResult

log = logging.getLogger(__name__)

REPAINT_INTERVAL_MS = 33  # ~30 updates a second, whatever the event rate
MAX_QUEUED_EVENTS = 2000  # per drain; older ones are dropped (the latest state is always kept)


@dataclass
class Snapshot:
    """What arrived since the last drain: the latest progress per probe and every event in order."""

    latest: dict[str, Any] = field(default_factory=dict)
    events: list[Any] = field(default_factory=list)
    dropped: int = 0


class ProbeRunSignals(QObject):
    updated = Signal()  # progress is waiting in ProbeRun.drain()
    result = Signal(object)  # one ProbeResult, as soon as that probe finishes
    finished = Signal(object)  # list[ProbeResult], always emitted once (also after a cancel or a crash)


class ProbeRun(QRunnable):
    """Runs probes with streamdoctor.runner.run_probes in a pool thread."""

    def __init__(self, probes: Sequence[Any], ctx: Any) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the owner holds the reference; Qt must not delete it under us
        self.probes = list(probes)
        self.ctx = ctx
        self.cancel = CancelToken()
        self.signals = ProbeRunSignals()
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._snapshot = Snapshot()
        self._pending = False

    def run(self) -> None:
        from ..runner import run_probes

        results: list[ProbeResult] = []
        try:
            results = run_probes(self.probes, self.ctx, progress=self.on_progress, cancel=self.cancel,
                                 on_result=self._on_result)
        except Exception as exc:  # reported in words by the page; the traceback goes to the log
            log.exception("probe run failed")
            self.error = exc
        finally:
            self.done.set()
            self.signals.finished.emit(results)

    def on_progress(self, progress: Any) -> None:
        """The core's progress callback (any thread). Cheap: a dict store and at most one queued signal."""
        with self._lock:
            snap = self._snapshot
            snap.latest[progress.probe] = progress
            if len(snap.events) < MAX_QUEUED_EVENTS:
                snap.events.append(progress)
            else:
                snap.dropped += 1
            notify = not self._pending
            self._pending = True
        if notify:
            self.signals.updated.emit()

    def drain(self) -> Snapshot:
        with self._lock:
            snap, self._snapshot = self._snapshot, Snapshot(latest=dict(self._snapshot.latest))
            self._pending = False
        return snap

    def _on_result(self, result: ProbeResult) -> None:
        self.signals.result.emit(result)


class TaskSignals(QObject):
    done = Signal(object)  # the function's return value
    failed = Signal(object)  # the exception


class Task(QRunnable):
    """Runs one blocking core call (apply a fix, write a bundle, read the keychain) off the GUI thread."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.fn, self.args = fn, args
        self.signals = TaskSignals()

    def run(self) -> None:
        try:
            value = self.fn(*self.args)
        except Exception as exc:
            log.warning("task %s failed: %s", getattr(self.fn, "__name__", self.fn), exc, exc_info=True)
            self.signals.failed.emit(exc)
            return
        self.signals.done.emit(value)


class LiveUpdater(QObject):
    """Drains a ProbeRun at most every REPAINT_INTERVAL_MS and hands the snapshot to `apply` (GUI thread)."""

    def __init__(self, run: ProbeRun, apply: Callable[[Snapshot], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.run = run
        self.apply = apply
        self.last = 0.0
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.flush)
        run.signals.updated.connect(self.on_updated)

    @Slot()
    def on_updated(self) -> None:
        wait_ms = REPAINT_INTERVAL_MS - (time.monotonic() - self.last) * 1000
        if wait_ms <= 0:
            self.flush()
        elif not self.timer.isActive():
            self.timer.start(int(wait_ms) + 1)

    @Slot()
    def flush(self) -> None:
        self.timer.stop()
        self.last = time.monotonic()
        self.apply(self.run.drain())
