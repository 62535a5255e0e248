"""Start and stop a capture of our own test connections through the privileged helper (with the user's consent).

The helper must be running before the test connections start and stop when they end, so it is run as a child
whose stdout we read line by line (its 'ready' line, then the packets) and whose stdin we close to stop it.
That works when we are already root (or administrator) and through pkexec on Linux, which hands the program
our pipes. macOS (osascript) and Windows (UAC runas) cannot stream a child's output, so there a capture needs
the app itself run as administrator; `Unavailable` says so in one line.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

from ..fixes.elevate import PKEXEC_DENIED, PKEXEC_DISMISSED, helper_argv, helper_cwd, helper_env, is_admin
from ..i18n import _
from .packet import TcpPacket, parse_ipv4_tcp

READY_TIMEOUT_S = 120.0  # the user may be typing a password into pkexec's prompt
STOP_TIMEOUT_S = 10.0  # after stdin closes the helper finishes its current 0.2 s poll and prints


class Unavailable(Exception):
    """No capture: not permitted, not supported here, or the helper failed. The message is one line."""


class CaptureSession:
    """One running capture of TCP to/from address:port, for at most `seconds`."""

    def __init__(self, address: str, port: int, seconds: int) -> None:
        argv = helper_argv(["capture-tcp", address, str(port), str(int(seconds))])
        if not is_admin():
            if not sys.platform.startswith("linux"):
                raise Unavailable(_("a packet capture needs Stream Doctor run as administrator on this system"))
            pkexec = next((p for p in ("/usr/bin/pkexec", "/bin/pkexec") if os.path.exists(p)), None)
            if pkexec is None:
                raise Unavailable(_("a packet capture needs root and pkexec is not installed"))
            argv = [pkexec, *argv]
        self._lines: list[str] = []
        self._ready = threading.Event()
        self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True,
                                      # confined like every helper start: nothing of the user's is obeyed as root
                                      cwd=helper_cwd(), env=helper_env())
        self._reader = threading.Thread(target=self._read, name="capture-reader", daemon=True)
        self._reader.start()
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self._ready.wait(0.1):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self._reader.join(1.0)
                self.close()
                raise Unavailable(self._why_not())

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.append(line)
            if line.startswith('{"ready"'):
                self._ready.set()

    def _why_not(self) -> str:
        code = self._proc.returncode
        if code == PKEXEC_DISMISSED:
            return _("the administrator prompt was dismissed; no packets were captured")
        if code == PKEXEC_DENIED:
            return _("the system did not allow the capture (not authorised)")
        error = self._answer().get("error")
        if error:
            return _("the capture helper could not start: {error}", error=str(error)[:240])
        return _("the capture helper could not start: no answer")

    def _answer(self) -> dict[str, Any]:
        for line in reversed(self._lines):
            if line.startswith("{") and not line.startswith('{"ready"'):
                with contextlib.suppress(ValueError):
                    answer: dict[str, Any] = json.loads(line)
                    return answer
        return {}

    def stop(self) -> list[tuple[float, str, bytes, int]]:
        """Stop the capture; returns (time, interface, raw bytes, original length) per packet."""
        self.close()
        answer = self._answer()
        if not answer.get("ok"):
            error = answer.get("error")
            if error:
                raise Unavailable(_("the capture failed: {error}", error=str(error)[:260]))
            raise Unavailable(_("the capture failed: no answer from the helper"))
        return [(float(t), str(iface), bytes.fromhex(h), int(n)) for t, iface, _kind, h, n in answer["packets"]]

    def close(self) -> None:
        if self._proc.stdin is not None and not self._proc.stdin.closed:
            with contextlib.suppress(OSError):
                self._proc.stdin.close()
        try:
            self._proc.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(STOP_TIMEOUT_S)
        self._reader.join(STOP_TIMEOUT_S)


def tcp_packets(records: list[tuple[float, str, bytes, int]]) -> list[TcpPacket]:
    out = []
    for ts, iface, raw, _n in records:
        pkt = parse_ipv4_tcp(raw, ts, iface)
        if pkt is not None:
            out.append(pkt)
    return out
