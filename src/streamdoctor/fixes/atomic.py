"""Atomic file replacement: a config file is either the old bytes or the new bytes, never half of each.

The new content goes to a temporary file in the same folder (same filesystem, so the rename is atomic), is
fsynced, renamed over the target, and the folder is fsynced so the rename itself survives a power cut.
A symlinked target (dotfile managers do this) is written through the link, so the link stays a link.

The replaced file keeps its owner, group and permission bits: run as root (sudo), a fix must not hand the
user's settings.json to root. A temporary file left behind by a process killed mid-write (kill -9, power cut)
is named `.NAME.sd-tmp-PID-RANDOM`; sweep_stale_tmp() removes such files of ours whose process is gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import signal
import stat
import sys
import time
from pathlib import Path

from ..safeio import NotRegularFileError, kind_of

TMP_MARK = ".sd-tmp-"
_TMP_RE = re.compile(r"^\..+\.sd-tmp-(\d+)(?:-[0-9a-f]+)?$")
# A temp file whose process still exists is never touched, unless it is this old: by then the pid belongs to
# another program (pids are reused) and no write of ours takes a day.
STALE_TMP_AGE_S = 24 * 3600


# Test hook: STREAMDOCTOR_FIX_CRASH_AT=journaled|tmp:NAME|written makes the process stop at that point and wait
# to be killed, so a test can SIGKILL it exactly there: after the journal and backup are on disk but before the
# file is replaced ("journaled"), with the new bytes of file NAME in its temp file but not yet renamed
# ("tmp:settings.json"), or after the replace but before the record is marked applied ("written").
CRASH_ENV = "STREAMDOCTOR_FIX_CRASH_AT"
PAUSED_MARK = "STREAMDOCTOR-PAUSED"


def crash_point(name: str) -> None:
    """Where a test can stop the process dead (see CRASH_ENV). Does nothing in normal runs."""
    if os.environ.get(CRASH_ENV) != name:
        return
    print(f"{PAUSED_MARK} {name}", file=sys.stderr, flush=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the test SIGKILLs us here; never linger if it does not
        time.sleep(0.05)
    os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


def real_target(path: Path) -> Path:
    """The file a write to `path` should really replace (follows symlinks, keeps a missing file's path)."""
    return Path(os.path.realpath(path))


def existing_regular(target: Path) -> os.stat_result | None:
    """The stat of `target` if it is a regular file, None if it does not exist; NotRegularFileError for a FIFO,
    device, socket or folder (a write must never open one of those)."""
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return None
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFileError(0, kind_of(st.st_mode), str(target))
    return st


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace `path` with `data` atomically. Keeps the existing file's permission bits (unless `mode` is given),
    owner and group; a new file made by root in someone else's folder belongs to that folder's owner."""
    target = real_target(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    st = existing_regular(target)
    if mode is None:
        mode = st.st_mode & 0o7777 if st is not None else 0o644
    owner = _owner_for(target, st)
    tmp = target.parent / f".{target.name}{TMP_MARK}{os.getpid()}-{secrets.token_hex(3)}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            if owner is not None:
                os.fchown(f.fileno(), *owner)
            with contextlib.suppress(OSError):  # chmod can fail on odd filesystems; the data matters more
                if hasattr(os, "fchmod"):
                    os.fchmod(f.fileno(), mode)
                else:  # pragma: no cover - Windows
                    os.chmod(tmp, mode)
            os.fsync(f.fileno())
        crash_point(f"tmp:{target.name}")  # e.g. STREAMDOCTOR_FIX_CRASH_AT=tmp:settings.json
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(target.parent)


def _owner_for(target: Path, st: os.stat_result | None) -> tuple[int, int] | None:
    """(uid, gid) to give the new file when we are root and it should belong to someone else; else None."""
    if not hasattr(os, "fchown") or os.geteuid() != 0:
        return None
    if st is None:
        try:
            st = os.stat(target.parent)  # a new file in a user's folder belongs to that user
        except OSError:
            return None
    if (st.st_uid, st.st_gid) == (os.geteuid(), os.getegid()):
        return None
    return st.st_uid, st.st_gid


def atomic_delete(path: Path) -> None:
    """Remove `path` (if present) and make the removal durable."""
    target = real_target(path)
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
        fsync_dir(target.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename or delete in `folder` durable. Windows cannot open folders for fsync; NTFS journals it."""
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        import psutil

        return bool(psutil.pid_exists(pid))
    except ImportError:  # pragma: no cover - psutil is a dependency
        return True


def sweep_stale_tmp(folder: Path, now: float | None = None) -> list[Path]:
    """Remove our temporary files in `folder` left by a process that no longer exists (kill -9 mid-write).
    Only files matching our name pattern, owned by us, regular, never followed through a link; returns them."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        m = _TMP_RE.match(name)
        if not m:
            continue
        p = folder / name
        try:
            st = os.lstat(p)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode) or (hasattr(os, "geteuid") and st.st_uid != os.geteuid()):
            continue
        if _pid_alive(int(m.group(1))) and now - st.st_mtime < STALE_TMP_AGE_S:
            continue
        with contextlib.suppress(OSError):
            p.unlink()
            removed.append(p)
    return removed
