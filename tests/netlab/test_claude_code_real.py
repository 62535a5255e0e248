"""Real Claude Code (from the npm registry) against the lab, sealed in a network namespace of its own.

The product tells users which Claude Code settings to change; these tests run the real client to prove that
each change does what the product says, for the versions in support.npm_clients.CLAUDE_CODE_TESTED. Every run
happens in a namespace with only loopback (or a netlab scenario's private addresses), with a temporary HOME.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import netlab
from streamdoctor.fixes import get_fix
from streamdoctor.model import Confidence, Finding, Overall, ProbeResult, Report, Severity, Status, Verdict
from support.claude_sandbox import ClaudeSandbox, loopback_lab
from support.npm_clients import (
    CLAUDE_CODE_NEWEST,
    CLAUDE_CODE_OLDER,
    CLAUDE_CODE_PINNED,
    CLAUDE_CODE_TESTED,
    NpmInstallError,
    claude_code_command,
)

pytestmark = [pytest.mark.netlab, pytest.mark.claude_code]

LAB_TEXT = "quick brown fox"  # every lab answer repeats this sentence


def _command(version: str) -> list[str]:
    try:
        return claude_code_command(version)
    except NpmInstallError as exc:
        pytest.skip(f"Claude Code {version} could not be installed: {exc}")


@pytest.fixture
def loopback(netlab_session: None) -> Iterator[Callable[..., netlab.Scenario]]:
    made: list[netlab.Scenario] = []

    def make(**kwargs: object) -> netlab.Scenario:
        sc = loopback_lab(**kwargs)  # type: ignore[arg-type]
        made.append(sc)
        return sc

    yield make
    for sc in reversed(made):
        sc.close()


@pytest.mark.parametrize("version", CLAUDE_CODE_TESTED)
def test_each_tested_version_installs_and_is_what_it_says(version: str) -> None:
    from support.npm_clients import installed_version

    _command(version)
    assert installed_version(version) == version


def test_the_newest_answers_from_the_lab_and_nowhere_else(loopback: Callable[..., netlab.Scenario],
                                                          tmp_path: Path) -> None:
    sc = loopback()
    box = ClaudeSandbox(tmp_path, _command(CLAUDE_CODE_NEWEST))
    run = box.run(sc, sc.api_url, timeout_s=40)
    # The sentence comes only from the lab's answer: Claude Code reached it through the sealed namespace.
    assert run.returncode == 0 and LAB_TEXT in run.stdout, run.describe()


# --- each Claude Code fix the product offers, applied to real Claude Code ------------------------------------

def _report(results: dict[str, dict], causes: list[str], base_url: str) -> Report:
    probe_results = [ProbeResult(name, Status.OK, "measured", data) for name, data in results.items()]
    findings = [Finding(f"test.{c}", c, Severity.PROBLEM, Confidence.HIGH, c, c) for c in causes]
    return Report({"base_url": base_url}, probe_results, Verdict(Overall.PROBLEM, "measured", findings))


def _clients(version: str) -> dict:
    return {"claude_code": {"installed": True, "version": version, "env": {}, "env_origin": {}}}


@pytest.fixture
def journal_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STREAMDOCTOR_HOME", str(tmp_path / "sd-home"))
    return tmp_path


@pytest.mark.parametrize("version", [CLAUDE_CODE_PINNED, CLAUDE_CODE_NEWEST])
def test_timeouts_fix_lets_claude_code_wait_for_a_slow_first_byte_and_undo_restores_the_timeout(
        version: str, loopback: Callable[..., netlab.Scenario], journal_home: Path) -> None:
    """The user's API_TIMEOUT_MS=2000 is shorter than the lab's 5 s first byte: Claude Code times out. The fix
    removes the short limit (the 600 s default is enough; it writes no variable this version ignores); Claude Code
    then answers. Undo puts the settings back byte for byte (the bytes it timed out with)."""
    sc = loopback(profile="slow-first-byte")
    box = ClaudeSandbox(journal_home, _command(version))
    original = b'{\n  "model": "sonnet",\n  "env": {"API_TIMEOUT_MS": "2000", "CLAUDE_CODE_MAX_RETRIES": "0"}\n}\n'
    box.settings_path.write_bytes(original)
    before = box.run(sc, sc.api_url, timeout_s=40)
    assert LAB_TEXT not in before.stdout and "timed out" in before.output.lower(), before.describe()

    rep = _report({"stream": {"outcome": "completed", "time_to_first_byte_s": 5.0},
                   "env.clients": _clients(version)}, ["slow-first-byte"], sc.api_url)
    fix = get_fix("claude-code-timeouts")
    with box.as_user():
        record = fix.apply(rep)
        assert fix.verify(rep, record).ok
    written = box.settings_env()
    assert "API_TIMEOUT_MS" not in written and "CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS" not in written
    after = box.run(sc, sc.api_url, timeout_s=40)
    assert after.returncode == 0 and LAB_TEXT in after.stdout, after.describe()

    with box.as_user():
        fix.revert(record)
    # The exact bytes the 'before' run timed out with: the same behaviour follows (not re-run, to keep the
    # real-Claude-Code tests under 90 s in CI).
    assert box.settings_path.read_bytes() == original


@pytest.mark.parametrize("version", [CLAUDE_CODE_OLDER, CLAUDE_CODE_PINNED])
def test_ca_fix_makes_claude_code_trust_the_inspecting_root_and_undo_takes_it_back(
        version: str, netlab_tls_api: Callable[..., netlab.Scenario], journal_home: Path) -> None:
    """The lab API's certificate comes from a CA no store knows (the lab's TLS inspector). Claude Code refuses
    it; the claude-code-ca fix saves the root and points NODE_EXTRA_CA_CERTS at it; Claude Code then answers.
    Undo removes both (the state in which it refused)."""
    sc = netlab_tls_api()
    assert sc.ca_pem is not None
    box = ClaudeSandbox(journal_home, _command(version))
    retries = {"CLAUDE_CODE_MAX_RETRIES": "0"}  # before 2.1.199 certificate errors burned every retry
    before = box.run(sc, sc.api_url, timeout_s=40, extra_env=retries)
    assert LAB_TEXT not in before.stdout, before.describe()

    rep = _report({"tls": {"inspected": True, "root_pem": sc.ca_pem.read_text(), "inspector": "the lab inspector"},
                   "env.clients": _clients(version)}, ["tls-inspection"], sc.api_url)
    fix = get_fix("claude-code-ca")
    with box.as_user():
        record = fix.apply(rep)
    assert Path(box.settings_env()["NODE_EXTRA_CA_CERTS"]).is_file()
    after = box.run(sc, sc.api_url, timeout_s=40, extra_env=retries)
    assert after.returncode == 0 and LAB_TEXT in after.stdout, after.describe()

    with box.as_user():
        fix.revert(record)
    assert not box.settings_path.exists()  # as before the fix, when Claude Code refused the certificate


def test_byte_watchdog_setting_cannot_be_shown_against_the_lab() -> None:
    """CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS: its watchdog runs only for api.anthropic.com (first party), and the lab
    is always a custom ANTHROPIC_BASE_URL, so no lab run can show it working. What we can check is that the fix
    never writes it for a gateway (tests/unit/test_fix_claude_code.py) and that the table says why."""
    from streamdoctor import claude_versions as cv

    ph = cv.phase("CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS", cv.parse_version(CLAUDE_CODE_PINNED))
    assert ph is not None and ph.scope == "first-party" and ph.min == 10_000


class _ConnectProxy:
    """A CONNECT-only HTTP proxy on the client namespace's loopback that records where each tunnel went."""

    def __init__(self, sc: netlab.Scenario) -> None:
        self.sc = sc
        self.targets: list[str] = []
        with sc.in_client():
            self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.5)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            head = netlab.read_http_head(conn)
            line = head.split(b"\r\n", 1)[0].decode("latin-1").split()
            if len(line) < 2 or line[0] != "CONNECT":
                conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            self.targets.append(line[1])
            host, port = line[1].rsplit(":", 1)
            ip = {netlab.API_NAME: self.sc.server_ip}.get(host, host)
            with self.sc.in_client():
                up = socket.create_connection((ip, int(port)), timeout=5)
            conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            deadline = time.monotonic() + 30  # a lab answer takes a few seconds
            with up:
                while time.monotonic() < deadline:
                    ready, _, _ = select.select([conn, up], [], [], 1.0)
                    for src in ready:
                        data = src.recv(65536)
                        if not data:
                            return
                        (up if src is conn else conn).sendall(data)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        self.thread.join(5)


def test_proxy_fix_routes_claude_code_through_the_proxy_and_undo_takes_it_back(
        netlab_tls_api: Callable[..., netlab.Scenario], journal_home: Path) -> None:
    """The system says 'use this proxy' but Claude Code goes direct (failure mode 6). claude-code-proxy writes
    HTTPS_PROXY/NO_PROXY into its settings: the next run tunnels through the proxy (CONNECT api.lab.test:8443)
    and still answers. Undo puts the settings back byte for byte."""
    sc = netlab_tls_api()
    assert sc.ca_pem is not None
    proxy = _ConnectProxy(sc)
    try:
        box = ClaudeSandbox(journal_home, _command(CLAUDE_CODE_PINNED))
        original = b'{"model": "sonnet"}\n'
        box.settings_path.write_bytes(original)
        trust = {"NODE_EXTRA_CA_CERTS": str(sc.ca_pem)}  # the lab CA; trust is not what this test is about
        before = box.run(sc, sc.api_url, timeout_s=40, extra_env=trust)
        assert before.returncode == 0 and LAB_TEXT in before.stdout and proxy.targets == [], before.describe()

        rep = _report({"env.proxy": {"system": {"proxy": proxy.url, "source": "pac"},
                                     "clients": {"claude-code": {"proxy": None, "source": "env"}}},
                       "env.clients": _clients(CLAUDE_CODE_PINNED)}, ["proxy-not-used"], sc.api_url)
        fix = get_fix("claude-code-proxy")
        with box.as_user():
            record = fix.apply(rep)
        assert box.settings_env()["HTTPS_PROXY"] == proxy.url
        after = box.run(sc, sc.api_url, timeout_s=40, extra_env=trust)
        assert after.returncode == 0 and LAB_TEXT in after.stdout, after.describe()
        assert f"{netlab.API_NAME}:{netlab.TLS_PORT}" in proxy.targets

        with box.as_user():
            fix.revert(record)
        assert box.settings_path.read_bytes() == original
    finally:
        proxy.close()
