"""Reading a user's file without ever blocking on it: only regular files, bounded in size.

A FIFO, a character device (/dev/zero), a socket or a folder named like a config file must give one line of
"not a regular file" at once, never a read that waits forever or fills memory (issue 14 items 5 and 8). The file
is opened with O_NONBLOCK (so a FIFO swapped in after the check cannot hang the open) and checked with fstat on
the descriptor actually read, then read up to a limit.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .i18n import N_, _

# Config files (settings.json, nginx confs, env files) are kilobytes; 16 MiB is far above any real one and still
# small enough to hold in memory.
MAX_CONFIG_BYTES = 16 * 1024 * 1024


class NotRegularFileError(OSError):
    """The path exists but is not a regular file (FIFO, device, socket, folder) or is too large to be one."""


# What a path is instead of a regular file, as the whole phrase an error puts after the path: one per kind, so a
# translation never has to agree a verb with a noun it cannot see.
_NOT_REGULAR = ((stat.S_ISDIR, N_("is a folder, not a regular file")),
                (stat.S_ISFIFO, N_("is a FIFO (named pipe), not a regular file")),
                (stat.S_ISCHR, N_("is a character device, not a regular file")),
                (stat.S_ISBLK, N_("is a block device, not a regular file")),
                (stat.S_ISSOCK, N_("is a socket, not a regular file")))


def kind_of(mode: int) -> str:
    """'is a folder, not a regular file' (translated) for a path's mode: what follows the path in an error."""
    for test, words in _NOT_REGULAR:
        if test(mode):
            return _(words)
    return _("is not a regular file")


def read_regular(path: Path | str, limit: int = MAX_CONFIG_BYTES) -> bytes:
    """The bytes of `path` if it is a regular file of at most `limit` bytes. Raises FileNotFoundError,
    PermissionError, NotRegularFileError (its strerror says what the path is instead) or another OSError."""
    st = os.stat(path)  # follows symlinks, as every reader of the file would; a loop raises ELOOP here
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFileError(0, kind_of(st.st_mode), str(path))
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # swapped between the two checks
            raise NotRegularFileError(0, kind_of(st.st_mode), str(path))
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    finally:
        os.close(fd)
    if total > limit:
        raise NotRegularFileError(0, _("is larger than {limit:,d} bytes, too large for a configuration file",
                                       limit=limit), str(path))
    return b"".join(chunks)
