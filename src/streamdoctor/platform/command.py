"""Run a local, read-only command with a time limit and never raise: the scan reports what it could not read.

Commands are given as argument lists (never a shell) and get no stdin. Output is decoded leniently because
Windows and localised systems print in whatever code page they like.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

MAX_OUTPUT_CHARS = 64_000  # raw outputs end up in reports; a runaway command must not bloat them


@dataclass
class CommandOutput:
    argv: list[str]
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    error: str | None = None  # why it could not run at all (missing, timeout, permission)

    @property
    def ok(self) -> bool:
        return self.error is None and self.returncode == 0

    def why(self) -> str:
        """A short reason for a failure, for 'could not read: why'."""
        if self.error:
            return self.error
        first = (self.stderr.strip() or self.stdout.strip()).splitlines()[:1]
        return f"{self.argv[0]} exited with {self.returncode}" + (f": {first[0][:200]}" if first else "")

    def raw(self) -> str:
        """The text kept as evidence: the command line and what it printed."""
        text = f"$ {' '.join(self.argv)}\n{self.stdout}"
        if self.stderr.strip():
            text += f"\n[stderr]\n{self.stderr}"
        if self.error:
            text += f"\n[could not run: {self.error}]"
        return text[:MAX_OUTPUT_CHARS]


def untranslated_env() -> dict[str, str]:
    """The caller's environment with the programs' messages untranslated, for tools whose output is parsed by
    words: nmcli prints 'oui'/'ja' for 'yes' and 'oui (deviné)' for 'yes (guessed)' in a French or German
    session (regolith-linux/regolith-i3xrocks-config#24), and nmcli(1) tells scripts to call it with LC_ALL=C.
    C.UTF-8 rather than C keeps non-ASCII network names intact; LANGUAGE would override it for messages, so it
    is dropped."""
    env = {k: v for k, v in os.environ.items() if k != "LANGUAGE"}
    env["LC_ALL"] = "C.UTF-8"
    return env


def run_command(argv: Sequence[str], timeout_s: float = 2.0, env: Mapping[str, str] | None = None) -> CommandOutput:
    """Run argv with a time limit. A missing program, a timeout or a permission error become `error`."""
    argv = [str(a) for a in argv]
    out = CommandOutput(argv)
    exe = argv[0] if os.path.isabs(argv[0]) else shutil.which(argv[0])
    if not exe:
        out.error = f"{argv[0]} is not installed (not found on PATH)"
        return out
    kwargs: dict[str, object] = {}
    if os.name == "nt":
        kwargs["creationflags"] = getattr(subprocess, "CREATE_NO_WINDOW", 0)  # no console window flashing up
    try:
        proc = subprocess.run(
            [exe, *argv[1:]], capture_output=True, timeout=timeout_s, stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None, check=False, **kwargs,  # type: ignore[call-overload]
        )
    except subprocess.TimeoutExpired:
        out.error = f"{argv[0]} did not answer within {timeout_s:g} s"
        return out
    except OSError as exc:
        out.error = f"{argv[0]} could not be started: {exc.strerror or exc}"
        return out
    out.returncode = proc.returncode
    out.stdout = proc.stdout.decode("utf-8", errors="replace")[:MAX_OUTPUT_CHARS]
    out.stderr = proc.stderr.decode("utf-8", errors="replace")[:MAX_OUTPUT_CHARS]
    return out
