"""Run a real Claude Code against the lab, sealed off: its own network namespace, HOME and config folder.

A Claude Code started by a test must never reach anything but the lab: not the real API, not its update or
telemetry hosts. So the lab and Claude Code run in a network namespace the test makes itself (loopback_lab():
one namespace, only `lo` up, no route anywhere; or any netlab scenario, whose client namespace routes only to
the lab's private 10.231.x.y addresses), and ClaudeSandbox refuses a base URL that is not loopback, a
10.231.x.y lab address or a *.lab.test name. Claude Code also gets an empty temporary HOME and
CLAUDE_CONFIG_DIR (so the user's settings, keys and history are neither read nor touched), the lab's key, and
DISABLE_AUTOUPDATER / CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC / DISABLE_TELEMETRY / DISABLE_ERROR_REPORTING
(documented in Claude Code's settings docs) so it does not even try other hosts. Every run is bounded by a
timeout that kills its whole process group.

    sc = loopback_lab(profile="slow-first-byte")                  # a netlab.Scenario, closed by the caller
    box = ClaudeSandbox(tmp_path, claude_code_command("2.1.197"))
    run = box.run(sc, sc.api_url, timeout_s=30)                     # ClaudeRun(returncode, stdout, stderr, ...)
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

_NETLAB = Path(__file__).resolve().parent.parent / "netlab"
if str(_NETLAB) not in sys.path:
    sys.path.insert(0, str(_NETLAB))

import netlab  # noqa: E402

LAB_KEY = netlab.LAB_API_KEY
PROMPT = "say hi"  # the lab answers every prompt with its own text; a short prompt keeps the request small
_LAB_NET = ipaddress.ip_network("10.231.0.0/16")  # netlab's private addresses (netlab.Scenario.subnet)
# Claude Code's own "stay home" switches (docs: settings, environment variables). Set for every run.
QUIET_ENV = {
    "DISABLE_AUTOUPDATER": "1",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "DISABLE_TELEMETRY": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "DISABLE_BUG_COMMAND": "1",
}


class UnsafeTarget(AssertionError):
    """A test tried to point Claude Code at something that is not the lab."""


def check_lab_url(url: str) -> None:
    """Raise UnsafeTarget unless `url` names loopback, a netlab address or a *.lab.test name."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".lab.test"):
        return
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        raise UnsafeTarget(f"not a lab address: {url}") from None
    if not (addr.is_loopback or addr in _LAB_NET):
        raise UnsafeTarget(f"not a lab address: {url}")


def loopback_lab(profile: str = "clean", think_s: float | None = None,
                 header_delay_s: float | None = None) -> netlab.Scenario:
    """One network namespace with only loopback up and the lab API on 127.0.0.1:8080 inside it.

    Nothing started in it can reach any other address: there is no other interface and no route. Skips the test
    when namespaces cannot be made (not root); the caller closes the scenario (or uses it as a context manager).
    """
    netlab.require_netlab()
    sc = netlab.Scenario(f"claude-loopback-{profile}")
    try:
        ns = sc.add_ns("c")
        sc.client_ns = sc.server_ns = ns
        sc.client_ip = sc.server_ip = "127.0.0.1"
        sc.isolate_client_names()
        sc.api_url = sc.start_lab("127.0.0.1", netlab.LAB_PORT, profile, think_s=think_s,
                                  header_delay_s=header_delay_s)
    except BaseException:
        with contextlib.suppress(Exception):
            sc.close()
        raise
    sc.finish_setup()
    return sc


@dataclass
class ClaudeRun:
    """What one `claude -p` run did."""

    returncode: int | None  # None: killed at the timeout
    stdout: str
    stderr: str
    elapsed_s: float
    timed_out: bool

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def describe(self) -> str:
        return (f"exit {self.returncode} after {self.elapsed_s:.1f} s (timed out: {self.timed_out}); "
                f"stdout {self.stdout[-400:]!r}; stderr {self.stderr[-800:]!r}")


class ClaudeSandbox:
    """A private HOME and CLAUDE_CONFIG_DIR for one Claude Code; run() starts it in a lab namespace."""

    def __init__(self, root: Path, command: Sequence[str]) -> None:
        self.home = root / "home"
        self.config_dir = self.home / ".claude"
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.command = list(command)

    @property
    def settings_path(self) -> Path:
        return self.config_dir / "settings.json"

    def settings_env(self) -> dict[str, Any]:
        try:
            data = json.loads(self.settings_path.read_text())
        except FileNotFoundError:
            return {}
        env = data.get("env") if isinstance(data, dict) else None
        return env if isinstance(env, dict) else {}

    @contextlib.contextmanager
    def as_user(self) -> Iterator[None]:
        """HOME and CLAUDE_CONFIG_DIR of this process point at the sandbox (for the product's fixes)."""
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("HOME", str(self.home))
            mp.setenv("CLAUDE_CONFIG_DIR", str(self.config_dir))
            yield

    def env(self, base_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The whole environment of a run: nothing inherited but PATH and the locale."""
        check_lab_url(base_url)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "HOME": str(self.home),
            "CLAUDE_CONFIG_DIR": str(self.config_dir),
            "ANTHROPIC_BASE_URL": base_url,
            "ANTHROPIC_API_KEY": LAB_KEY,
            "TERM": "dumb",
            "NO_COLOR": "1",
            **QUIET_ENV,
        }
        env.update(extra or {})
        for key in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
            if env.get(key):
                check_lab_url(env[key])
        return env

    def run(self, scenario: netlab.Scenario, base_url: str, *, timeout_s: float = 30, prompt: str = PROMPT,
            args: Sequence[str] = (), extra_env: Mapping[str, str] | None = None) -> ClaudeRun:
        """`claude -p PROMPT` in the scenario's client namespace; killed (whole group) after timeout_s."""
        argv = [netlab.tool("ip") or "ip", "netns", "exec", scenario.client_ns, *self.command, "-p", prompt, *args]
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, env=self.env(base_url, extra_env), cwd=self.home, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        timed_out = False
        try:
            out, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate(timeout=10)
        return ClaudeRun(None if timed_out else proc.returncode, out, err, time.monotonic() - t0, timed_out)
