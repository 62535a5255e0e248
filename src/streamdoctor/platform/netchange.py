"""Network-change and sleep/wake signals for the watch, behind one small interface with a polling fallback.

Why: a watch that only polls notices a Wi-Fi switch or a VPN coming up seconds late and may miss a flap in
between; the OS can tell at once. Linux has a real event source in the standard library (an rtnetlink
socket: links, addresses and routes, IPv4 and IPv6). macOS has the routing socket's messages as text from
`route -n monitor` (a system binary, read as a pipe). Windows has NotifyIpInterfaceChange, reachable only
through callbacks this app does not ship yet, so there the watch polls a cheap fingerprint of interfaces,
addresses and default routes (`PollingChanges`), which is also the fallback wherever an event source cannot
be opened.

Sleep and wake have no portable event either, but they leave a mark on the clocks: suspend stops
CLOCK_MONOTONIC on Linux (CLOCK_BOOTTIME keeps counting) and `time.monotonic()` on macOS, while the wall
clock runs on; a frozen process (SIGSTOP, a debugger, a throttled VM) shows as one loop turn that took far
longer than its timeout. `ClockJumps` reads both marks; it is the one sleep/wake source on every OS.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

# rtnetlink message types and multicast groups (linux/rtnetlink.h), stable kernel ABI.
RTM_NAMES = {16: "link up/changed", 17: "link removed", 20: "address added", 21: "address removed",
             24: "route added", 25: "route removed"}
RTMGRP_LINK, RTMGRP_IPV4_IFADDR, RTMGRP_IPV4_ROUTE = 0x1, 0x10, 0x40
RTMGRP_IPV6_IFADDR, RTMGRP_IPV6_ROUTE = 0x100, 0x400
NETLINK_ROUTE = 0
_NLMSG_HDR = struct.Struct("=IHHII")  # len, type, flags, seq, pid
SLEEP_THRESHOLD_S = 3.0  # clock drift below this is scheduling noise, not a suspend or a freeze
CLOCK_BOOTTIME = getattr(time, "CLOCK_BOOTTIME", None)


class ChangeSource(Protocol):
    """Waits for a sign that the network changed. Never raises; never waits past `timeout_s`."""

    name: str

    def wait(self, timeout_s: float) -> list[str]:
        """Reasons seen within timeout_s (empty if none). Returns as soon as one arrives."""
        ...

    def close(self) -> None: ...


def parse_netlink(data: bytes) -> list[str]:
    """The change reasons in a buffer of rtnetlink messages (pure: tested on bytes recorded from a real kernel)."""
    out: list[str] = []
    offset = 0
    while offset + _NLMSG_HDR.size <= len(data):
        length, kind, _flags, _seq, _pid = _NLMSG_HDR.unpack_from(data, offset)
        if length < _NLMSG_HDR.size:
            break
        name = RTM_NAMES.get(kind)
        if name and name not in out:
            out.append(name)
        offset += (length + 3) & ~3  # NLMSG_ALIGN
    return out


class NetlinkChanges:
    """Linux: the kernel's own announcements of link, address and route changes."""

    name = "netlink"

    def __init__(self) -> None:
        af_netlink = getattr(socket, "AF_NETLINK", None)
        if af_netlink is None:
            raise OSError("no netlink on this system")
        self.sock = socket.socket(af_netlink, socket.SOCK_RAW, NETLINK_ROUTE)
        groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_IFADDR | RTMGRP_IPV6_ROUTE
        self.sock.bind((0, groups))
        self.sock.setblocking(False)

    def wait(self, timeout_s: float) -> list[str]:
        try:
            ready, _, _ = select.select([self.sock], [], [], max(0.0, timeout_s))
        except (OSError, ValueError):
            return []
        reasons: list[str] = []
        for _ in range(64):  # drain a burst (an interface coming up sends a dozen messages), bounded
            if not ready:
                break
            try:
                data = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:  # ENOBUFS: we missed some; that itself says "something changed"
                reasons.append("changes (buffer overrun)")
                break
            reasons += [r for r in parse_netlink(data) if r not in reasons]
        return reasons

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class PollingChanges:
    """Anywhere: compares a cheap fingerprint of the network every `poll_s` seconds."""

    name = "polling"

    def __init__(self, fingerprint: Callable[[], str], poll_s: float = 5.0,
                 sleep: Callable[[float], object] = time.sleep) -> None:
        self.fingerprint = fingerprint
        self.poll_s = poll_s
        self._sleep = sleep
        self._last = fingerprint()
        self._next = time.monotonic() + poll_s

    def wait(self, timeout_s: float) -> list[str]:
        now = time.monotonic()
        if now < self._next:
            self._sleep(max(0.0, min(timeout_s, self._next - now)))
            if time.monotonic() < self._next:
                return []
        self._next = time.monotonic() + self.poll_s
        current = self.fingerprint()
        if current != self._last:
            self._last = current
            return ["network fingerprint changed"]
        return []

    def close(self) -> None:
        pass


def network_fingerprint() -> str:
    """Interfaces that are up, their addresses and the default gateways: what a network change changes."""
    import netifaces
    import psutil

    parts: list[str] = []
    with contextlib.suppress(Exception):
        stats = psutil.net_if_stats()
        for name, addrs in sorted(psutil.net_if_addrs().items()):
            if name in stats and stats[name].isup:
                parts.append(name + "=" + ",".join(sorted(a.address for a in addrs if a.family in (
                    socket.AF_INET, socket.AF_INET6))))
    with contextlib.suppress(Exception):
        default: Any = netifaces.gateways().get("default", {})
        parts.append(repr(sorted((str(k), repr(v)) for k, v in dict(default).items())))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


# `route -n monitor` prints one header line per routing message, then "RTM_<TYPE>: <words>: len ...". Only
# the types that mean the network changed are kept: RTM_MISS/RTM_RESOLVE/RTM_LOSING are ARP and lookup noise.
RTM_TEXT = {"RTM_ADD": "route added", "RTM_DELETE": "route removed", "RTM_CHANGE": "route changed",
            "RTM_NEWADDR": "address added", "RTM_DELADDR": "address removed", "RTM_IFINFO": "link up/changed"}
MAX_READS = 64  # per wait: a burst is drained in bounded steps


def parse_route_monitor(text: str) -> list[str]:
    out: list[str] = []
    for line in text.splitlines():
        kind = line.split(":", 1)[0].strip()
        name = RTM_TEXT.get(kind)
        if name and name not in out:
            out.append(name)
    return out


class RouteMonitorChanges:
    """macOS (and the BSDs): the routing socket's messages, as `route -n monitor` prints them."""

    name = "route-monitor"

    def __init__(self, argv: list[str] | None = None) -> None:
        self.proc = subprocess.Popen(argv or ["/sbin/route", "-n", "monitor"], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        assert self.proc.stdout is not None
        self.sock = self.proc.stdout  # selectable; the watch loop wakes on it
        os.set_blocking(self.sock.fileno(), False)
        self._partial = ""

    def wait(self, timeout_s: float) -> list[str]:
        if self.proc.poll() is not None:
            return []
        try:
            ready, _, _ = select.select([self.sock], [], [], max(0.0, timeout_s))
        except (OSError, ValueError):
            return []
        text = self._partial
        for _ in range(MAX_READS):
            if not ready:
                break
            try:
                chunk = os.read(self.sock.fileno(), 65536)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                break
            if not chunk:
                break
            text += chunk.decode("utf-8", errors="replace")
        complete, _, self._partial = text.rpartition("\n")
        return parse_route_monitor(complete)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.terminate()
        try:
            self.proc.wait(2.0)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(2.0)
        with contextlib.suppress(OSError):
            self.sock.close()


def change_source(poll_s: float = 5.0, prefer_events: bool = True) -> ChangeSource:
    """The best source on this OS: netlink on Linux, `route monitor` on macOS, else (or if it cannot be
    opened) polling."""
    if prefer_events and sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            return NetlinkChanges()
    if prefer_events and sys.platform == "darwin" and os.access("/sbin/route", os.X_OK):
        with contextlib.suppress(OSError):
            return RouteMonitorChanges()
    return PollingChanges(network_fingerprint, poll_s)


# --- sleep / wake ---------------------------------------------------------------------------------------


@dataclass
class ClockJump:
    kind: str  # "suspend": the machine slept; "freeze": this process did not run (SIGSTOP, a stalled VM)
    missing_s: float  # how long the watch was blind
    at_wall: float  # wall time the watch noticed (the wake)


class ClockJumps:
    """Notices sleeps and freezes by comparing clocks between two calls of `check()`.

    `expected_s` is the longest the caller may legitimately take between calls (its loop's timeout).
    Clocks are injectable for the unit tests (they cannot suspend the machine)."""

    def __init__(self, expected_s: float, threshold_s: float = SLEEP_THRESHOLD_S,
                 mono: Callable[[], float] = time.monotonic, wall: Callable[[], float] = time.time,
                 boot: Callable[[], float] | None = None) -> None:
        if boot is None and CLOCK_BOOTTIME is not None:
            boot_id = CLOCK_BOOTTIME

            def boot() -> float:
                return time.clock_gettime(boot_id)

        self.expected_s, self.threshold_s = expected_s, threshold_s
        self._mono, self._wall, self._boot = mono, wall, boot
        self._last = self._read()

    def _read(self) -> tuple[float, float, float | None]:
        return self._mono(), self._wall(), self._boot() if self._boot is not None else None

    def check(self, waited_s: float | None = None) -> ClockJump | None:
        """A jump since the last call, or None. `waited_s`: how long the caller's one bounded wait since the last
        call took; then only that wait is held against `expected_s` (a caller's own slow work, such as a
        connect with its timeout, is not a freeze), while a suspend is still seen from the clocks' drift."""
        last, now = self._last, self._read()
        self._last = now
        d_mono, d_wall = now[0] - last[0], now[1] - last[1]
        d_boot = now[2] - last[2] if now[2] is not None and last[2] is not None else None
        asleep = (d_boot - d_mono) if d_boot is not None else (d_wall - d_mono)
        if asleep > self.threshold_s:
            return ClockJump("suspend", round(asleep + min(d_mono, self.expected_s), 3), now[1])
        blind = d_mono if waited_s is None else waited_s
        if blind > self.expected_s + self.threshold_s:
            return ClockJump("freeze", round(blind, 3), now[1])
        return None
