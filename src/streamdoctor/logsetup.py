"""Logging: everything to a rotating file in the log folder, warnings to stderr only when there is one.

Every line is redacted before it is written (safeout.RedactingFormatter): a proxy password or a key in a URL,
an argument or a traceback never reaches the file. The files are created readable by the user only (0600) and
the folder 0700: the log sits next to the user's other files and may be zipped up for support.

Windowed builds (PyInstaller console=False) have sys.stderr None: adding a console handler there would crash
on the first warning, so none is added.
"""

from __future__ import annotations

import faulthandler
import io
import logging
import logging.handlers
import os
import sys
from pathlib import Path
from typing import IO

from . import paths
from .safeout import RedactingFormatter

LOG_FILE_MODE = 0o600  # user only: even redacted, the log says which hosts and proxies this user reaches
LOG_DIR_MODE = 0o700


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose files (the first and every rotated one) are created 0600, and an existing
    file made 0600 when opened, whatever the umask."""

    def _open(self) -> io.TextIOWrapper:
        return _open_private(self.baseFilename, self.mode)


def _open_private(path: str, mode: str = "a") -> io.TextIOWrapper:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, LOG_FILE_MODE)
    try:
        os.fchmod(fd, LOG_FILE_MODE)  # a file made 0644 by an older version
    except (AttributeError, OSError):  # Windows has no fchmod; its ACLs already keep the profile private
        pass
    return io.TextIOWrapper(io.FileIO(fd, "a" if "a" in mode else "w"), encoding="utf-8", write_through=True)


_fault_file: IO[str] | None = None


def setup_logging(verbose: bool = False) -> Path | None:
    """Configure the root logger once; returns the log file path (None if the folder is not writable)."""
    global _fault_file
    root = logging.getLogger()
    if getattr(root, "_streamdoctor_configured", False):
        return paths.log_file()
    root.setLevel(logging.DEBUG)
    fmt = RedactingFormatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    log_path: Path | None = paths.log_file()
    try:
        assert log_path is not None
        log_path.parent.mkdir(parents=True, exist_ok=True, mode=LOG_DIR_MODE)
        fh = PrivateRotatingFileHandler(log_path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
        fh.setFormatter(fmt)
        fh.setLevel(logging.DEBUG)
        root.addHandler(fh)
        _fault_file = _open_private(str(log_path.parent / "crash.log"))  # lives as long as the process
        faulthandler.enable(_fault_file)
    except OSError:
        log_path = None
    if sys.stderr is not None:
        ch = logging.StreamHandler(sys.stderr)
        ch.setLevel(logging.DEBUG if verbose else logging.CRITICAL + 1)  # the CLI prints its own one-liners
        ch.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(ch)
    for noisy in ("httpx2", "httpcore2", "anthropic", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.INFO)
    root._streamdoctor_configured = True  # type: ignore[attr-defined]
    return log_path
