"""One lock for every change a fix makes, across processes: two `fix apply` at once must not lose a change.

Without it, two applies read the same settings.json, each merges its own keys and the second rename wins: one
change lost every time (issue 14 item 5). Holding this lock, an apply re-reads the file, so a second apply sees
the first and merges on top of it; undo and start-up recovery take it too. The wait is bounded: a second apply
that cannot get the lock in FIX_LOCK_WAIT_S says so in one line and changes nothing.

The lock is an OS advisory lock on a file in the data folder (fcntl.flock on Linux/macOS, msvcrt.locking on
Windows): the OS drops it when the holder dies, even by kill -9, so a crash never leaves it stuck. It is
re-entrant within one process (an apply that takes it may call code that takes it again).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from .. import paths
from ..i18n import _
from .journal import FixError

# Applies are file writes of milliseconds, an nginx -t/reload of seconds; 30 s covers a slow machine without
# leaving the user staring at a hung command.
FIX_LOCK_WAIT_S = 30.0
_POLL_S = 0.05


class FixBusyError(FixError):
    pass


def lock_path() -> Path:
    return paths.data_dir() / "fixes" / ".lock"


class _State(threading.local):
    depth = 0
    fd: int | None = None


_state = _State()
_process_lock = threading.Lock()  # one thread of this process at a time, on top of the OS lock between processes


def _try_os_lock(fd: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _os_unlock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover - Windows only
        import msvcrt

        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def fix_lock(wait_s: float | None = None) -> Iterator[None]:
    """Hold the fixes lock for the block; raises FixBusyError (one line) if not got within `wait_s` (default
    FIX_LOCK_WAIT_S, read at call time)."""
    wait_s = FIX_LOCK_WAIT_S if wait_s is None else wait_s
    if _state.depth:
        _state.depth += 1
        try:
            yield
        finally:
            _state.depth -= 1
        return
    deadline = time.monotonic() + wait_s
    if not _process_lock.acquire(timeout=max(wait_s, 0.001)):
        raise FixBusyError(_("another change is being applied right now; try again when it has finished"))
    try:
        path = lock_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            while not _try_os_lock(fd):
                if time.monotonic() >= deadline:
                    raise FixBusyError(_("another Stream Doctor is applying or undoing a fix right now; nothing was "
                                         "changed, try again when it has finished"))
                time.sleep(_POLL_S)
            _state.depth, _state.fd = 1, fd
            try:
                yield
            finally:
                _state.depth, _state.fd = 0, None
                _os_unlock(fd)
        finally:
            os.close(fd)
    finally:
        _process_lock.release()


def holding() -> bool:
    """Whether this thread holds the lock now."""
    return _state.depth > 0
