"""Run the real CLI (`python -m streamdoctor`) in a subprocess with a controlled environment, bounded in time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CLI_TIMEOUT_S = 120  # the longest command here is a quick check against loopback


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.upper().endswith("_PROXY") and not k.startswith(("ANTHROPIC_", "CLAUDE_"))}
    env.update(STREAMDOCTOR_HOME=str(home), HOME=str(home), CLAUDE_CONFIG_DIR=str(home / ".claude"))
    env.update(extra)
    return env


def run_cli(args: list[str], env: dict[str, str], stdin: str | None = None,
            timeout: float = CLI_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "streamdoctor", *args], env=env, capture_output=True, text=True,
                          input=stdin if stdin is not None else "", timeout=timeout, cwd=env["HOME"])
