"""Run a client program as a test driver: every output line with its arrival time, its exit code and its own
error text, bounded in time, its process group killed at the limit.

Used by the clients probe for the user's own Claude Code, node and curl. The child gets the user's own
environment (so it signs in the way it always does: its own credentials, never read or copied by us) plus the
switches the caller adds; it runs in an empty temporary folder so no project file of the user's steers it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ...cancel import CancelToken

MAX_LINES = 2000  # a runaway client must not fill memory; a short answer is a few dozen lines
MAX_LINE_CHARS = 4000
STDERR_KEEP = 4000


@dataclass
class DriverRun:
    argv: list[str]
    exit_code: int | None  # None: killed at the time limit (or cancelled)
    lines: list[tuple[float, str]] = field(default_factory=list)  # (seconds since start, stdout line)
    stderr: str = ""
    elapsed_s: float = 0.0
    timed_out: bool = False
    error: str = ""  # could not start at all


def run_driver(argv: Sequence[str], env: Mapping[str, str], timeout_s: float, cancel: CancelToken,
               stdin_text: str | None = None) -> DriverRun:
    """Start argv, timestamp each stdout line as it arrives, and stop it at `timeout_s` or on cancel."""
    run = DriverRun(list(argv), None)
    kwargs: dict[str, object] = {}
    if os.name == "nt":
        kwargs["creationflags"] = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
    else:
        kwargs["start_new_session"] = True
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="streamdoctor-client-") as cwd:
        try:
            proc = subprocess.Popen(list(argv), env=dict(env), cwd=cwd, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, stdin=subprocess.PIPE if stdin_text else subprocess.DEVNULL,
                                    text=True, encoding="utf-8", errors="replace", **kwargs)  # type: ignore[call-overload]
        except OSError as exc:
            run.error = f"could not start {argv[0]}: {exc.strerror or exc}"
            return run
        if stdin_text and proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.write(stdin_text)
                proc.stdin.close()
        err_chunks: list[str] = []

        def read_out() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                if len(run.lines) < MAX_LINES:
                    run.lines.append((time.monotonic() - t0, line.rstrip("\n")[:MAX_LINE_CHARS]))

        def read_err() -> None:
            assert proc.stderr is not None
            err_chunks.append(proc.stderr.read()[-STDERR_KEEP:])

        readers = [threading.Thread(target=read_out, daemon=True), threading.Thread(target=read_err, daemon=True)]
        for r in readers:
            r.start()
        deadline = t0 + timeout_s
        while proc.poll() is None:
            if cancel.cancelled or time.monotonic() > deadline:
                run.timed_out = not cancel.cancelled
                _kill(proc)
                break
            time.sleep(0.05)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)
        for r in readers:
            r.join(2)
        run.exit_code = None if run.timed_out or cancel.cancelled else proc.returncode
        run.stderr = "".join(err_chunks)[-STDERR_KEEP:]
    run.elapsed_s = time.monotonic() - t0
    return run


def _kill(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(OSError):
        if sys.platform == "win32":
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGKILL)
