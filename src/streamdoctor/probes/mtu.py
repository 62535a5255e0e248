"""Path MTU and the large-request black hole: the biggest packet that gets through, and whether big requests do.

Three measurements, run side by side within a bounded time:
1. socket level (Linux): a UDP datagram of the route's MTU with "don't fragment"; a router that cannot pass it
   answers "fragmentation needed (mtu N)" and the kernel's IP_MTU for the destination drops to N. Exact, fast,
   needs no privileges. Also read on the TCP socket after the large request.
2. the OS ping with DF, binary-searched in parallel rounds (a second opinion that also works when the router's
   ICMP reaches ping but not the socket, and the only one on macOS/Windows).
3. a large request: a 256 KB POST to the API host through the SDK's stack must get an answer when a small one
   does. A black hole (too-big packets dropped, "fragmentation needed" never delivered) stalls only the large
   one. That is the signal that matters; ICMP being blocked proves nothing and is reported as "unknown".
The probe targets the first hop the clients talk to: the proxy when they use one, else the API host.
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from ..cancel import CancelToken
from ..i18n import N_, _
from ..model import Evidence, ProbeResult, Status
from .base import ProbeContext, Progress, ProgressCallback
from .http import request, run_parallel
from .netpath import PathError, resolve
from .ping import PingOutcome, ping_once
from .proxy_choice import client_proxy

# Linux socket options (Python does not export all of them on every build).
IP_MTU_DISCOVER, IP_PMTUDISC_DO, IP_MTU = 10, 2, 14
IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO, IPV6_MTU = 23, 2, 24
PROBE_PORT = 33434  # the traceroute port: nothing listens there, and nothing needs to

COMMON_MTUS = (1500, 1492, 1480, 1472, 1460, 1450, 1440, 1420, 1400, 1380, 1360, 1350, 1300, 1280)
LARGE_BODY_BYTES = 256 * 1024
SMALL_BODY_BYTES = 1024
PING_WIDTH = 8  # pings per round after the first
UPLOAD_PIECE = 16 * 1024
# The large request's whole budget grows with its size at this rate (128 kbit/s, a poor mobile uplink), so a slow
# line that keeps taking bytes is not cut, while a server that drips its answer still ends.
SLOWEST_UPLINK_BPS = 16 * 1024
STALL_S = 4.0  # a large request that takes no byte for this long is stuck, not slow


class MTUProbe:
    name = "mtu"
    title = N_("Packet size (path MTU)")
    needs: tuple[str, ...] = ("env.proxy",)  # the proxy the clients use, as the scan refined it
    quick = True

    def run(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult:
        opts = ctx.options
        proxy = client_proxy(ctx)
        hop = urlsplit(proxy) if proxy else None
        target = (hop.hostname if hop else ctx.host) or ctx.host
        data: dict[str, Any] = {"path_mtu": None, "interface": None, "interface_mtu": None, "method": "unknown",
                                "black_hole": None, "target": target, "via_proxy": bool(proxy), "raw": {}}
        progress(Progress(self.name, 0.0, _("measuring the packet size to {target}", target=target)))
        try:
            family, address = _pick_address(resolve(target, ctx.port, ctx.connect_timeout_s, cancel))
        except PathError as exc:
            data.update(error=exc.detail)
            return ProbeResult(self.name, Status.ERROR, _("Could not test: {reason}", reason=exc.detail), data,
                               error=exc.detail)
        ipv6 = family == socket.AF_INET6
        iface, iface_mtu = _interface_for(family, address)
        data.update(target_address=address, family="ipv6" if ipv6 else "ipv4", interface=iface,
                    interface_mtu=iface_mtu)
        loopback = ipaddress.ip_address(address).is_loopback

        box: dict[str, Any] = {}
        jobs: list[Callable[[], None]] = [
            lambda: box.update(large=large_request_test(
                ctx, cancel, int(opts.get("large_body_bytes", LARGE_BODY_BYTES)),
                float(opts.get("large_request_timeout_s", 30.0)), float(opts.get("large_request_stall_s", STALL_S)))),
        ]
        if not loopback:
            hi = min(iface_mtu or 1500, 9000)
            jobs.append(lambda: box.update(socket=socket_path_mtu(family, address, hi, cancel,
                                                                  float(opts.get("pmtu_wait_s", 0.6)))))
            jobs.append(lambda: box.update(ping=search_with_ping(
                address, ipv6, hi, cancel, float(opts.get("mtu_ping_timeout_s", 1.0)),
                float(opts.get("mtu_search_budget_s", 6.0)), lambda f: progress(Progress(self.name, f, _("ping"))))))
        run_parallel(jobs, cancel)
        large, sock_info, ping_info = box.get("large", {}), box.get("socket"), box.get("ping")
        data.update(large_request=large, socket=sock_info, ping=_ping_summary(ping_info),
                    exchanges=large.pop("exchanges", []))
        if ping_info:
            data["raw"] = {f"ping {o.size}": o.raw for o in ping_info.get("outcomes", [])[:12] if o.raw}
        data["black_hole"] = _black_hole(large)
        _decide_path_mtu(data, loopback, iface_mtu, sock_info, ping_info, large)
        progress(Progress(self.name, 1.0, _("done")))
        return _result(self.name, data)


def _pick_address(answers: list[tuple[int, str]]) -> tuple[int, str]:
    """IPv4 first when there is one: every OS's ping can set DF there."""
    for family, address in answers:
        if family == socket.AF_INET:
            return family, address
    return answers[0]


def _interface_for(family: int, address: str) -> tuple[str | None, int | None]:
    """The interface the OS would use for `address` (UDP connect sends nothing) and its MTU (psutil)."""
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.connect((address, PROBE_PORT))
            local = s.getsockname()[0]
    except OSError:
        return None, None
    try:
        import psutil

        for name, addrs in psutil.net_if_addrs().items():
            if any(a.address.split("%")[0] == local for a in addrs):
                stats = psutil.net_if_stats().get(name)
                return name, (stats.mtu if stats and stats.mtu else None)
    except (ImportError, OSError):
        pass
    return None, None


def socket_path_mtu(family: int, address: str, size: int, cancel: CancelToken, wait_s: float) -> dict[str, Any]:
    """Linux: send DF datagrams of `size` bytes and read the kernel's path MTU for the destination after a
    router had the chance to answer "fragmentation needed". `learned` only when it fell below `size`."""
    if not sys.platform.startswith("linux"):
        return {"available": False, "why": "socket-level path MTU needs Linux (IP_MTU)"}
    v6 = family == socket.AF_INET6
    level = socket.IPPROTO_IPV6 if v6 else socket.IPPROTO_IP
    discover, do, mtu_opt = (IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO, IPV6_MTU) if v6 else \
        (IP_MTU_DISCOVER, IP_PMTUDISC_DO, IP_MTU)
    udp_overhead = 48 if v6 else 28
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as s, cancel.closing(s.close):
            s.setsockopt(level, discover, do)
            s.connect((address, PROBE_PORT))
            before = s.getsockopt(level, mtu_opt)
            out: dict[str, Any] = {"available": True, "route_mtu": before, "sent_size": size, "learned": None}
            deadline = time.monotonic() + wait_s
            sends = 0
            current = before
            while time.monotonic() < deadline and not cancel.cancelled:
                if sends < 3:
                    try:
                        s.send(bytes(max(0, min(size, current) - udp_overhead)))
                        sends += 1
                    except OSError as exc:
                        if exc.errno != errno.EMSGSIZE:
                            out["send_error"] = str(exc)
                            break
                current = s.getsockopt(level, mtu_opt)
                if current < size:
                    out["learned"] = current
                    break
                cancel.wait(0.05)
            out["route_mtu_after"] = current
            return out
    except OSError as exc:
        return {"available": False, "why": f"socket path MTU failed: {exc}"}


def search_with_ping(address: str, ipv6: bool, hi: int, cancel: CancelToken, timeout_s: float, budget_s: float,
                     report: Callable[[float], None] | None = None,
                     pinger: Callable[[str, int, float, bool], PingOutcome] = ping_once) -> dict[str, Any]:
    """Largest DF echo that gets a reply, searched in parallel rounds between a safe floor and `hi`.

    Round one tries `hi`, the floor and the common MTUs; later rounds split the remaining gap into PING_WIDTH
    steps, or jump straight to an MTU a router named. Bounded by `budget_s`. No reply even at the floor means
    ICMP is blocked: the MTU stays unknown (never "small")."""
    lo = 1280 if ipv6 else 576
    lo = min(lo, hi)
    tested: dict[int, PingOutcome] = {}
    deadline = time.monotonic() + budget_s
    rounds = 0
    sizes = sorted({lo, hi, *(m for m in COMMON_MTUS if lo < m < hi)})
    with ThreadPoolExecutor(max_workers=max(PING_WIDTH, len(sizes))) as pool:
        while sizes and not cancel.cancelled:
            rounds += 1
            for outcome in pool.map(lambda n: pinger(address, n, timeout_s, ipv6), sizes):
                tested[outcome.size] = outcome
            if report:
                report(min(0.9, rounds / 5))
            if all(o.error for o in tested.values()):
                return {"available": False, "why": next(iter(tested.values())).error, "outcomes": _sorted(tested),
                        "rounds": rounds}
            good = max((n for n, o in tested.items() if o.reply), default=None)
            if good is None:
                return {"available": True, "echo_blocked": True, "outcomes": _sorted(tested), "rounds": rounds}
            bad = min((n for n, o in tested.items() if not o.reply and n > good), default=None)
            if bad is None or bad - good <= 1:
                return {"available": True, "largest_reply": good, "smallest_fail": bad, "exact": True,
                        "named_mtu": _named(tested), "outcomes": _sorted(tested), "rounds": rounds}
            if time.monotonic() > deadline:
                break
            named = _named(tested)
            if named and good <= named < bad and named not in tested:
                sizes = sorted({named, named + 1} - set(tested))
            elif named and good <= named < bad:
                sizes = sorted({named + 1} - set(tested))
            else:
                step = (bad - good) / (PING_WIDTH + 1)
                sizes = sorted({good + max(1, round(step * i)) for i in range(1, PING_WIDTH + 1)} - set(tested))
                sizes = [n for n in sizes if good < n < bad]
    good = max((n for n, o in tested.items() if o.reply), default=None)
    bad = min((n for n, o in tested.items() if not o.reply and good is not None and n > good), default=None)
    return {"available": True, "largest_reply": good, "smallest_fail": bad, "exact": False,
            "named_mtu": _named(tested), "outcomes": _sorted(tested), "rounds": rounds}


def _named(tested: dict[int, PingOutcome]) -> int | None:
    """The MTU a router or the local kernel named in a "frag needed"/"message too long" answer."""
    named = [o.mtu for o in tested.values() if o.mtu]
    return min(named) if named else None


def _sorted(tested: dict[int, PingOutcome]) -> list[PingOutcome]:
    return [tested[n] for n in sorted(tested)]


def _ping_summary(info: dict[str, Any] | None) -> dict[str, Any] | None:
    if info is None:
        return None
    out = {k: v for k, v in info.items() if k != "outcomes"}
    out["outcomes"] = [{"size": o.size, "reply": o.reply, "too_big": o.too_big, "mtu": o.mtu, "error": o.error}
                       for o in info.get("outcomes", [])]
    out["too_big_seen"] = any(o.too_big for o in info.get("outcomes", []))
    return out


def large_request_test(ctx: ProbeContext, cancel: CancelToken, size: int, timeout: float,
                       stall_s: float = STALL_S) -> dict[str, Any]:
    """POST a small and a large body to the API host through the SDK's stack: both must get an HTTP answer
    (401 without a key). The large body is handed over in 16 KB pieces and watched: a black hole stops taking
    bytes (no ACKs come back), a slow uplink keeps taking them slowly. So the large request is given up after
    `stall_s` without progress, not after a fixed time that a slow line could exceed. Reads IP_MTU on the large
    request's socket afterwards (Linux) as one more number."""
    url = ctx.base_url.rstrip("/") + "/v1/messages"
    out: dict[str, Any] = {"url": url, "large_bytes": size, "small_bytes": SMALL_BODY_BYTES, "timeout_s": timeout,
                           "stall_s": stall_s}

    def body(n: int) -> bytes:
        head = b'{"model":"streamdoctor-size-test","max_tokens":1,"messages":[{"role":"user","content":"'
        tail = b'"}]}'
        return head + b"x" * max(0, n - len(head) - len(tail)) + tail

    payload = body(size)
    progress = {"t": time.monotonic(), "bytes": 0}
    finished = threading.Event()
    stalled: list[int] = []
    socks: list[socket.socket] = []

    def pieces() -> Iterator[bytes]:
        for i in range(0, len(payload), UPLOAD_PIECE):
            progress.update(t=time.monotonic(), bytes=i)  # the previous piece was taken by the socket
            yield payload[i:i + UPLOAD_PIECE]
        progress.update(t=time.monotonic(), bytes=len(payload))

    def connected(sock: socket.socket) -> None:
        socks.append(sock)
        progress["t"] = time.monotonic()  # connecting has its own timeout; the watch starts from here

    def watch() -> None:
        last_queue: int | None = None
        while not finished.wait(0.1):
            queue = unsent_bytes(socks[-1]) if socks else None
            if queue is not None and (queue == 0 or queue != last_queue):
                progress["t"] = time.monotonic()  # bytes are being acknowledged, or none are waiting
            elif queue is None and progress["bytes"] >= len(payload):
                return  # without a send-queue reading, waiting for the answer cannot be told from a stall
            last_queue = queue
            if socks and time.monotonic() - progress["t"] > stall_s:
                stalled.append(int(progress["bytes"]))
                for s in socks:  # wakes the blocked write or read at once
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)
                return

    def small() -> None:
        out["small"] = request(ctx, cancel, "POST", url, body=body(SMALL_BODY_BYTES), timeout=timeout)

    def large() -> None:
        threading.Thread(target=watch, name="large-request-watch", daemon=True).start()
        try:
            out["large"] = request(ctx, cancel, "POST", url, body=pieces(), timeout=timeout, read_socket_mtu=True,
                                   on_socket=connected, extra_headers={"content-length": str(len(payload))},
                                   total_s=timeout + ctx.connect_timeout_s + len(payload) / SLOWEST_UPLINK_BPS)
        finally:
            finished.set()
        if stalled and out["large"].get("verdict") == "error":
            out["large"].update(kind="stall", stalled_after_bytes=stalled[0],
                                error=_("no progress for {secs:.0f} s after {kb} KB", secs=stall_s,
                                        kb=stalled[0] // 1024))

    run_parallel([small, large], cancel)
    out["exchanges"] = []
    for key in ("small", "large"):
        out["exchanges"] += out[key].pop("exchanges", [])
        out[key].pop("body_start", None)
    out["tcp_ip_mtu"] = out["large"].get("socket_ip_mtu")
    return out


def unsent_bytes(sock: socket.socket) -> int | None:
    """Bytes in the socket's send queue not yet acknowledged by the peer (Linux SIOCOUTQ), or None elsewhere.
    A body that sits there without shrinking is stuck on the path; an empty queue means the server has it all
    and a slow answer is the server's business, not a black hole."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import fcntl
        import termios

        return int(struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0])
    except (OSError, ValueError, ImportError):
        return None


def _answered(r: dict[str, Any] | None) -> bool:
    return r is not None and r.get("verdict") not in (None, "error")


def _black_hole(large: dict[str, Any]) -> bool | None:
    """True: the small request was answered and the large one stalled or was cut. None: cannot tell."""
    s, big = large.get("small"), large.get("large")
    if not _answered(s):
        return None
    if _answered(big):
        return False
    return (big or {}).get("kind") in ("stall", "write-timeout", "read-timeout", "reset", "closed")


def _decide_path_mtu(data: dict[str, Any], loopback: bool, iface_mtu: int | None, sock: dict[str, Any] | None,
                     ping: dict[str, Any] | None, large: dict[str, Any]) -> None:
    if loopback:
        data.update(path_mtu=iface_mtu, method="loopback")
        return
    learned = (sock or {}).get("learned")
    tcp_mtu = large.get("tcp_ip_mtu")
    ping_good = (ping or {}).get("largest_reply")
    if learned:
        data.update(path_mtu=learned, method="socket+ping" if ping_good == learned else "socket")
    elif tcp_mtu and iface_mtu and tcp_mtu < iface_mtu:
        data.update(path_mtu=tcp_mtu, method="tcp-socket")
    elif ping_good and (ping or {}).get("exact"):
        data.update(path_mtu=ping_good, method="ping")
    elif ping_good:
        data.update(path_mtu=ping_good, method="ping (approximate)")
    else:
        data.update(path_mtu=None, method="unknown")
    data["icmp"] = ("blocked" if (ping or {}).get("echo_blocked") else
                    "unavailable" if ping is not None and not ping.get("available") else "ok")
    data["frag_needed_seen"] = bool(learned) or bool((ping or {}).get("named_mtu"))


def _result(name: str, data: dict[str, Any]) -> ProbeResult:
    large = data.get("large_request") or {}
    big, small = large.get("large") or {}, large.get("small") or {}
    mtu = data["path_mtu"]
    evidence = [Evidence(_("Interface"), f"{data['interface'] or '?'} (MTU {data['interface_mtu'] or '?'})"),
                Evidence(_("Path MTU"), mtu if mtu else _("unknown"), _("bytes") if mtu else "",
                         f"method: {data['method']}"),
                Evidence(_("Small request ({kb} KB)", kb=large.get("small_bytes", 0) // 1024), _req_text(small)),
                Evidence(_("Large request ({kb} KB)", kb=large.get("large_bytes", 0) // 1024), _req_text(big))]
    if data["black_hole"]:
        if mtu:
            summary = _("Large requests get no answer while small ones do (path MTU {mtu})", mtu=mtu)
        else:
            summary = _("Large requests get no answer while small ones do (path MTU unknown)")
        return ProbeResult(name, Status.FAIL, summary, data, evidence)
    if data["black_hole"] is None:
        why = small.get("error") or _("the small request got no answer")
        if mtu:
            summary = _("Path MTU {mtu}; the large-request test could not run: {why}", mtu=mtu, why=why)
        else:
            summary = _("Path MTU unknown; the large-request test could not run: {why}", why=why)
        return ProbeResult(name, Status.ERROR if not mtu else Status.WARN, summary, data, evidence, error=str(why))
    kb = large.get("large_bytes", 0) // 1024
    if mtu:
        summary = _("Path MTU {mtu} ({method}); a {kb} KB request got through", mtu=mtu, method=data["method"], kb=kb)
    else:
        summary = _("Path MTU unknown ({method}); a {kb} KB request got through", method=data["method"], kb=kb)
    return ProbeResult(name, Status.OK, summary, data, evidence)


def _req_text(r: dict[str, Any]) -> str:
    if not r:
        return _("not tried")
    if _answered(r):
        return _("answered HTTP {status} in {secs:.2f} s", status=r.get("status"), secs=r.get("time_s", 0))
    return _("no answer ({kind}) after {secs:.1f} s", kind=r.get("kind"), secs=r.get("time_s", 0))

