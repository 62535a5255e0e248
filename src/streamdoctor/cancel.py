"""A cancel event that can also close things, so a blocking read stops at once instead of at its timeout.

Probes register the sockets and HTTP responses they block on; cancel() closes them from the caller's thread.
That is what makes "cancel takes effect within 1 s" hold even for a read with a 600 s timeout.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

from .errors import Cancelled


class CancelToken:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], object]] = []

    def cancel(self) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for cb in callbacks:
            with contextlib.suppress(Exception):  # closing an already-broken socket may raise; cancel must not
                cb()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds; returns True (early) if cancelled. Use instead of time.sleep."""
        return self._event.wait(timeout)

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def on_cancel(self, callback: Callable[[], object]) -> Callable[[], None]:
        """Run `callback` when cancelled (at once if already cancelled). Returns a function that unregisters it."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)

                def unregister() -> None:
                    with self._lock, contextlib.suppress(ValueError):
                        self._callbacks.remove(callback)

                return unregister
        with contextlib.suppress(Exception):
            callback()
        return lambda: None

    @contextlib.contextmanager
    def closing(self, closer: Callable[[], object]) -> Iterator[None]:
        """`with cancel.closing(sock.close): ...` closes the socket if cancelled while inside the block."""
        unregister = self.on_cancel(closer)
        try:
            yield
        finally:
            unregister()
