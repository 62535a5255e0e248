"""Atomic file replacement: a config file is either the old bytes or the new bytes, never half of each.

The new content goes to a temporary file in the same folder (same filesystem, so the rename is atomic), is
fsynced, renamed over the target, and the folder is fsynced so the rename itself survives a power cut.
A symlinked target (dotfile managers do this) is written through the link, so the link stays a link.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path


def real_target(path: Path) -> Path:
    """The file a write to `path` should really replace (follows symlinks, keeps a missing file's path)."""
    return Path(os.path.realpath(path))


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace `path` with `data` atomically. Keeps the existing file's permission bits unless `mode` is given."""
    target = real_target(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        try:
            mode = target.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o644
    tmp = target.parent / f".{target.name}.sd-tmp-{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(OSError):  # chmod can fail on odd filesystems; the data matters more
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(target.parent)


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
