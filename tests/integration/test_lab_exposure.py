"""Issue 14 item 10 (lab) and issue 15 item 7: the lab's CA does not outlive the run, the lab does not listen
beyond loopback without being asked, and `lab serve --tls --host ADDR` serves a certificate that covers ADDR.

Real `streamdoctor` processes with a TMPDIR of the test's own, so every file the lab leaves is seen: SIGTERM
and SIGHUP during `check --lab` and `lab serve`, SIGKILL followed by the next start.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _env(tmp: Path) -> dict[str, str]:
    tmpdir = tmp / "tmpdir"
    tmpdir.mkdir(exist_ok=True)
    return {**os.environ, "TMPDIR": str(tmpdir), "STREAMDOCTOR_HOME": str(tmp / "home")}


def _run_dirs(tmp: Path) -> list[Path]:
    return sorted((tmp / "tmpdir").glob("streamdoctor-lab-*"))


def _wait_for(pred, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def _serve(tmp: Path, *argv: str) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "streamdoctor", "lab", "serve", *argv], env=_env(tmp),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    for line in proc.stdout:  # bounded: the Try: line comes within seconds
        lines.append(line)
        if "Try:" in line or time.monotonic() > deadline:
            break
    return proc, lines


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_check_lab_removes_its_ca_on_sigterm_and_sighup(tmp_path: Path, sig: signal.Signals) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "streamdoctor", "check", "--lab", "idle-reset"], env=_env(tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_for(lambda: any((d / "lab-ca.pem").exists() for d in _run_dirs(tmp_path)))
        proc.send_signal(sig)
        proc.wait(20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + sig, proc.stderr.read() if proc.stderr else ""
    assert _run_dirs(tmp_path) == []


def test_a_sigkilled_runs_ca_is_swept_by_the_next_lab_start(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "streamdoctor", "check", "--lab", "idle-reset"], env=_env(tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert _wait_for(lambda: any((d / "lab-ca.pem").exists() for d in _run_dirs(tmp_path)))
    proc.kill()
    proc.wait(10)
    (left,) = _run_dirs(tmp_path)  # SIGKILL cannot be caught: the folder is still there...
    mine_alive = tmp_path / "tmpdir" / f"streamdoctor-lab-{os.getpid()}-keepme"
    mine_alive.mkdir()  # ...and a live process's folder must survive the sweep
    run = subprocess.run([sys.executable, "-m", "streamdoctor", "check", "--lab", "clean", "--quick", "--json"],
                         env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert not left.exists()  # ...until the next lab start
    assert mine_alive.exists()


def test_serve_beyond_loopback_needs_the_flag_and_warns(tmp_path: Path) -> None:
    refused = subprocess.run([sys.executable, "-m", "streamdoctor", "lab", "serve", "--host", "0.0.0.0"],
                             env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and refused.stdout == ""
    assert len(refused.stderr.strip().splitlines()) == 1 and "--allow-remote" in refused.stderr
    proc, lines = _serve(tmp_path, "--host", "0.0.0.0", "--allow-remote", "--tls")
    try:
        assert any("Try:" in line for line in lines), lines
        proc.send_signal(signal.SIGHUP)
        proc.wait(20)
        err = proc.stderr.read() if proc.stderr else ""
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "warning" in err and "0.0.0.0" in err and "Traceback" not in err
    assert proc.returncode == 0
    assert _run_dirs(tmp_path) == []  # SIGHUP stopped it cleanly: the CA is gone


@pytest.mark.parametrize("host", ["127.0.0.2", "::1"])
def test_serve_tls_certificate_covers_the_printed_address(tmp_path: Path, host: str) -> None:
    if ":" in host and not socket.has_ipv6:
        pytest.skip("no IPv6")
    proc, lines = _serve(tmp_path, "--tls", "--host", host)
    try:
        try_line = next(line for line in lines if "Try:" in line)
        ca = re.search(r"SSL_CERT_FILE=(\S+)", try_line).group(1)  # type: ignore[union-attr]
        url = re.search(r"ANTHROPIC_BASE_URL=(\S+)", try_line).group(1)  # type: ignore[union-attr]
        m = re.fullmatch(r"https://(\[[^\]]+\]|[^:/]+):(\d+)", url)
        assert m, url
        name, port = m.group(1).strip("[]"), int(m.group(2))
        ctx = ssl.create_default_context(cafile=ca)  # verifies the chain and the name, as every client does
        with socket.create_connection((host, port), timeout=10) as raw, \
                ctx.wrap_socket(raw, server_hostname=name) as tls:
            tls.sendall(f"GET /v1/models HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode())
            assert tls.recv(100).startswith(b"HTTP/1.1 ")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
    assert _run_dirs(tmp_path) == []
