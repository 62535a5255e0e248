"""A capture around the whole check (with --capture): the idle and stream tests' connections are in it too.

The capture is filtered in the kernel to the API's address and port, which other programs on the laptop may be
using at the same time. To keep only this check's own connections, the local ports of this process's TCP
sockets to that address and port are polled while the check runs (Linux: /proc/self/fd socket inodes matched
in /proc/net/tcp; no privileges needed). The whocut probe's own trace ports are added at the end.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
from collections.abc import Iterator
from typing import Any

from .session import CaptureSession, Unavailable

POLL_S = 0.1  # an idle-test or stream connection lives seconds; a 0.1 s poll sees every one of them
WINDOW_LIMIT_S = 900  # the helper's own bound (privhelper.CAPTURE_MAX_S)


def own_tcp_ports(address: str, port: int, proc: str = "/proc") -> set[int]:
    """Local ports of this process's TCP sockets connected to address:port (Linux; empty elsewhere)."""
    try:
        inodes = set()
        for fd in os.listdir(f"{proc}/self/fd"):
            with contextlib.suppress(OSError):
                target = os.readlink(f"{proc}/self/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        with open(f"{proc}/net/tcp", encoding="ascii") as f:
            lines = f.read().splitlines()[1:]
    except OSError:
        return set()
    return parse_proc_net_tcp(lines, address, port, inodes)


def parse_proc_net_tcp(lines: list[str], address: str, port: int, inodes: set[str]) -> set[int]:
    want = (socket.inet_aton(address)[::-1].hex().upper() if sys.byteorder == "little"
            else socket.inet_aton(address).hex().upper()) + f":{port:04X}"
    out = set()
    for line in lines:
        f = line.split()
        if len(f) > 9 and f[2] == want and f[9] in inodes:
            out.add(int(f[1].rsplit(":", 1)[1], 16))
    return out


class Window:
    """The running capture and the ports seen so far; `records` after the check ends."""

    def __init__(self, address: str, port: int) -> None:
        self.address, self.port = address, port
        self.ports: set[int] = set()
        self.error = ""
        self.records: list[tuple[float, str, bytes, int]] | None = None
        self._session: CaptureSession | None = None
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None

    def start(self) -> None:
        try:
            self._session = CaptureSession(self.address, self.port, WINDOW_LIMIT_S)
        except (Unavailable, OSError) as exc:
            self.error = str(exc)[:300]
            return
        self._poller = threading.Thread(target=self._poll, name="capture-ports", daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while not self._stop.wait(POLL_S):
            self.ports |= own_tcp_ports(self.address, self.port)

    def stop(self) -> None:
        self._stop.set()
        if self._poller is not None:
            self._poller.join(2.0)
        if self._session is not None:
            try:
                self.records = self._session.stop()
            except (Unavailable, OSError) as exc:
                self.error = str(exc)[:300]


@contextlib.contextmanager
def capture_window(ctx: Any) -> Iterator[Window | None]:
    """With the user's consent (ctx.options['whocut_capture']), capture around the block; else do nothing.
    The whocut probe finds the window in ctx.options['whocut_window'] and uses it instead of its own capture."""
    if not ctx.options.get("whocut_capture"):
        yield None
        return
    from ..cancel import CancelToken
    from ..probes.netpath import PathError, resolve
    from ..probes.path.whocut import target_of

    host, port, _payload, _kind = target_of(ctx)
    try:
        v4 = [a for f, a in resolve(host, port, ctx.connect_timeout_s, CancelToken()) if f == socket.AF_INET]
    except PathError:
        v4 = []
    if not v4 or v4[0].startswith("127."):
        yield None
        return
    window = Window(v4[0], port)
    window.start()
    ctx.options["whocut_window"] = window
    try:
        yield window
    finally:
        window.stop()
