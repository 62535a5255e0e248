"""Issue 14 item 1: a lab run uses the lab's own key and never leaves loopback, whatever the environment says.

A real recording proxy listens on loopback and is configured through HTTP_PROXY/HTTPS_PROXY/ALL_PROXY with a
user:password; the user's "real" key is in ANTHROPIC_API_KEY. Real `streamdoctor` subprocesses run against the
lab over plain HTTP (buffering) and TLS (clean). The proxy must see no connection at all, and the key must
appear in no output.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

REAL_KEY = "sk-ant-api03-REALUSERKEY-must-never-leave-0123456789"
PROXY_PASSWORD = "pr0xyPassw0rd"


class RecordingProxy:
    """A loopback TCP listener that records the first bytes of every connection, then answers 502 and closes."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.seen: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    self.seen.append(conn.recv(4096))
                    conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    self.seen.append(b"<no data>")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    p = RecordingProxy()
    yield p
    p.close()


def _env(proxy: RecordingProxy) -> dict[str, str]:
    url = f"http://user:{PROXY_PASSWORD}@127.0.0.1:{proxy.port}"
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update({"HTTP_PROXY": url, "HTTPS_PROXY": url, "ALL_PROXY": url, "http_proxy": url,
                "https_proxy": url, "all_proxy": url, "NO_PROXY": "", "ANTHROPIC_API_KEY": REAL_KEY})
    return env


@pytest.mark.parametrize("argv", [
    ["stress", "--lab", "buffering", "--yes", "--json", "--size", "quick"],  # plain HTTP lab
    ["stress", "--lab", "clean", "--yes", "--json", "--size", "quick"],      # TLS lab (https://localhost)
    ["check", "--lab", "clean", "--quick", "--json"],                        # tcp/tls/clienthello/http probes
])
def test_lab_run_sends_nothing_to_the_proxy_and_not_the_real_key(proxy: RecordingProxy, argv: list[str]) -> None:
    run = subprocess.run([sys.executable, "-m", "streamdoctor", *argv], env=_env(proxy), capture_output=True,
                         text=True, timeout=120)
    assert proxy.seen == [], f"the proxy saw lab traffic: {proxy.seen[:2]!r}"
    assert REAL_KEY not in run.stdout + run.stderr
    # (The proxy password in `--json` output is issue 14 item 4, covered by the cross-output leak test.)
    assert run.stdout.startswith("{"), run.stderr[-3000:]
    report = json.loads(run.stdout)
    statuses = {r["probe"]: r["status"] for r in report["results"]}
    # The lab answered directly (with its own key): the stream was not refused, nothing went to a 502 proxy.
    if "stream" in statuses:
        assert statuses["stream"] != "error", run.stdout[-2000:]
    if "http" in statuses:
        assert statuses["http"] == "ok", run.stdout[-2000:]


def test_fix_verification_context_from_a_lab_report_keeps_lab_rules() -> None:
    """A saved lab report re-measured later: the lab key, no proxy; a report claiming 'lab' for a remote URL is
    a real run (no lab shortcuts that would send the lab key past the proxy rules)."""
    from streamdoctor.fixes.rerun import context_from_report
    from streamdoctor.lab import LAB_API_KEY
    from streamdoctor.model import Overall, Report, Verdict
    from streamdoctor.probes.proxy_choice import client_proxy

    old = dict(os.environ)
    os.environ.update({"ANTHROPIC_API_KEY": REAL_KEY, "HTTPS_PROXY": "http://u:p@127.0.0.1:9"})
    try:
        lab = Report(target={"base_url": "https://localhost:4443", "lab_profile": "clean"}, results=[],
                     verdict=Verdict(Overall.HEALTHY, ""))
        ctx = context_from_report(lab)
        assert ctx.api_key == LAB_API_KEY and client_proxy(ctx) is None
        remote = Report(target={"base_url": "https://api.example.com", "lab_profile": "clean"}, results=[],
                        verdict=lab.verdict)
        ctx = context_from_report(remote)
        assert ctx.lab_profile == "" and ctx.api_key == REAL_KEY
        assert client_proxy(ctx) == "http://u:p@127.0.0.1:9"
    finally:
        os.environ.clear()
        os.environ.update(old)


def test_the_wizard_context_for_the_lab_ignores_a_typed_key_and_the_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The GUI path: whatever key the Setup page holds, a lab run sends the lab's key, directly."""
    from streamdoctor.gui.state import WizardState
    from streamdoctor.lab import LAB_API_KEY
    from streamdoctor.probes.proxy_choice import client_proxy

    monkeypatch.setenv("HTTPS_PROXY", f"http://u:{PROXY_PASSWORD}@127.0.0.1:9")
    lab = WizardState(lab_profile="clean", lab_url="https://localhost:4443", api_key=REAL_KEY)
    ctx = lab.new_context()
    assert ctx.api_key == LAB_API_KEY and client_proxy(ctx) is None
    real = WizardState(api_key=REAL_KEY, base_url="https://api.anthropic.com")
    ctx = real.new_context()
    assert ctx.api_key == REAL_KEY and client_proxy(ctx) == f"http://u:{PROXY_PASSWORD}@127.0.0.1:9"
