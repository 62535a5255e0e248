"""TTL-limited traces toward the API's port, without privileges: which hop answers, resets or intercepts.

Three traces, each one socket per TTL, a round of TTLs at a time, all in parallel:
- udp:  a datagram to a closed high port (tracepath): routers answer "time exceeded", the destination "port
        unreachable". This finds the hop addresses and how far the destination really is, past any box that
        only meddles with TCP to the API's port.
- syn:  a TCP connect whose SYN has the TTL: a SYN-ACK from fewer hops than the destination means a box
        there terminates TCP in place of the server (a transparent proxy).
- data: a TCP connect at full TTL, then the ClientHello (https) or a small request (http) with the TTL
        (OONI's tlsmiddlebox, tracebox): a reset or an answer at a TTL below the server's distance comes from a
        box on the way. A firewall acts on packets it forwards, after its own TTL check, so a reset first seen
        at TTL t comes from the box at hop t-1 (hop 0 is this computer), or from a transparent box between
        hops t-1 and t.
Hop addresses come from ICMP errors, which only Linux hands to an unprivileged socket (errqueue.py).
"""

from __future__ import annotations

import contextlib
import errno
import select
import socket
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any

from ...cancel import CancelToken
from ..base import run_threads
from . import errqueue

ROUND = 8  # TTLs tried at once: few enough not to trip routers' ICMP rate limits (a burst of ~6 per peer)
MAX_TTL = 24  # corporate hops come first; API edges are rarely more than 20 hops away
UDP_BASE_PORT = 33434  # traceroute's range: closed on almost every host


@dataclass
class Step:
    """What one TTL got. outcome: time-exceeded (from `hop`), port-unreachable, icmp (an ICMP error whose
    sender the OS did not say), connected, refused, answered, reset, closed, timeout, unreachable, error."""

    ttl: int
    outcome: str
    hop: str = ""  # the address that sent the ICMP error
    detail: str = ""
    elapsed_s: float = 0.0
    local_port: int = 0  # TCP steps: our end of the connection, to find its packets in a capture

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _wait(sock: socket.socket, write: bool, timeout: float) -> bool:
    """True when `sock` is readable (Linux also flags a queued ICMP error so), writable if `write`, or in
    error (how Windows reports a failed connect) within `timeout`."""
    r, w, x = select.select([sock], [sock] if write else [], [sock], max(0.0, timeout))
    return bool(r or w or x)


def _icmp_step(sock: socket.socket, ttl: int, t0: float, fallback: str) -> Step:
    report = errqueue.read(sock)
    if report is None:
        return Step(ttl, fallback, elapsed_s=time.monotonic() - t0)
    if report.time_exceeded:
        return Step(ttl, "time-exceeded", report.offender, elapsed_s=time.monotonic() - t0)
    if report.port_unreachable:
        return Step(ttl, "port-unreachable", report.offender, elapsed_s=time.monotonic() - t0)
    return Step(ttl, "unreachable", report.offender, f"ICMP {report.icmp_type}/{report.icmp_code}",
                time.monotonic() - t0)


def udp_step(address: str, ttl: int, timeout: float) -> Step:
    t0 = time.monotonic()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        if not errqueue.enable(s):
            return Step(ttl, "error", detail="ICMP errors are not readable here")
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        s.connect((address, UDP_BASE_PORT + ttl))
        s.send(b"streamdoctor path trace")
        if _wait(s, False, timeout):
            return _icmp_step(s, ttl, t0, "timeout")
        return Step(ttl, "timeout", elapsed_s=time.monotonic() - t0)


def syn_step(address: str, port: int, ttl: int, timeout: float) -> Step:
    t0 = time.monotonic()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        errqueue.enable(s)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        s.setblocking(False)
        code = s.connect_ex((address, port))
        local_port = s.getsockname()[1]
        if code not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, getattr(errno, "WSAEWOULDBLOCK", -1)):
            return Step(ttl, "error", detail=errno.errorcode.get(code, str(code)))
        if not _wait(s, True, timeout):
            return Step(ttl, "timeout", elapsed_s=time.monotonic() - t0)
        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err == 0:
            return Step(ttl, "connected", elapsed_s=time.monotonic() - t0, local_port=local_port)
        if err == errno.ECONNREFUSED:
            return Step(ttl, "refused", elapsed_s=time.monotonic() - t0, local_port=local_port)
        step = _icmp_step(s, ttl, t0, "unreachable")
        step.local_port = local_port
        return step


def data_step(address: str, port: int, ttl: int, payload: bytes, timeout: float, hold_s: float = 0.0,
              cancel: CancelToken | None = None) -> Step:
    """Connect at full TTL, stay silent `hold_s` (to let a stateful box forget the flow), then send `payload`
    with the TTL. A connection the box ends by itself during the hold is `cut-during-hold`: no TTL told."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect((address, port))
        except OSError as exc:
            return Step(ttl, "error", detail=f"connect at full TTL: {type(exc).__name__}")
        local_port = s.getsockname()[1]
        if hold_s > 0:
            end = time.monotonic() + hold_s
            while time.monotonic() < end and not (cancel is not None and cancel.cancelled):
                if _wait(s, False, min(0.2, max(0.0, end - time.monotonic()))):
                    return Step(ttl, "cut-during-hold", local_port=local_port)
        step = _send_with_ttl(s, ttl, payload, timeout)
        step.local_port = local_port
        return step


def _send_with_ttl(s: socket.socket, ttl: int, payload: bytes, timeout: float) -> Step:
    errqueue.enable(s)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
    t0 = time.monotonic()
    try:
        s.sendall(payload)
        if not _wait(s, False, timeout):
            return Step(ttl, "timeout", elapsed_s=time.monotonic() - t0)
        report_step = _icmp_step(s, ttl, t0, "")
        if report_step.outcome:
            return report_step
        first = s.recv(64)
    except ConnectionResetError:
        return Step(ttl, "reset", elapsed_s=time.monotonic() - t0)
    except OSError as exc:
        late = _icmp_step(s, ttl, t0, "")
        if late.outcome:
            return late
        if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            # Linux reports an ICMP error on a connected TCP socket as this errno only, without the sender
            # (it queues no errqueue entry once established); the udp and syn traces name that hop.
            return Step(ttl, "icmp", detail=errno.errorcode.get(exc.errno or 0, ""),
                        elapsed_s=time.monotonic() - t0)
        return Step(ttl, "error", detail=type(exc).__name__, elapsed_s=time.monotonic() - t0)
    if not first:
        return Step(ttl, "closed", elapsed_s=time.monotonic() - t0)
    kind = "tls" if first[:1] == b"\x16" or first[:1] == b"\x15" else "http" if first[:5] == b"HTTP/" else "bytes"
    return Step(ttl, "answered", detail=kind, elapsed_s=time.monotonic() - t0)


FINAL = {"udp": ("port-unreachable",), "syn": ("connected", "refused"), "data": ("answered", "reset", "closed")}


def trace(kind: str, address: str, port: int, payload: bytes, timeout: float, cancel: CancelToken,
          max_ttl: int = MAX_TTL, hold_s: float = 0.0) -> list[Step]:
    """Rounds of ROUND TTLs in parallel until the far end answered (or max_ttl). With hold_s (data only) every
    TTL up to max_ttl runs in one round: each holds its connection silent that long first."""
    steps: dict[int, Step] = {}
    lock = threading.Lock()

    def one(ttl: int) -> None:
        try:
            if kind == "udp":
                step = udp_step(address, ttl, timeout)
            elif kind == "syn":
                step = syn_step(address, port, ttl, timeout)
            else:
                step = data_step(address, port, ttl, payload, timeout, hold_s, cancel)
        except OSError as exc:  # recorded per step, never raised
            step = Step(ttl, "error", detail=f"{type(exc).__name__}: {exc}"[:120])
        with lock:
            steps[ttl] = step

    size = max_ttl if hold_s > 0 else ROUND
    for first in range(1, max_ttl + 1, size):
        ttls = range(first, min(first + size, max_ttl + 1))
        run_threads([threading.Thread(target=one, args=(t,), daemon=True) for t in ttls], cancel)
        if any(steps[t].outcome in FINAL[kind] for t in ttls):
            break
        with contextlib.suppress(KeyError):
            if kind == "udp" and all(steps[t].outcome == "error" for t in ttls):
                break
    return [steps[t] for t in sorted(steps)]
