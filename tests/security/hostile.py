"""Hostile loopback servers for the bound and fuzz tests: each serves one misbehaviour on 127.0.0.1 only.

Every server thread is a daemon, every loop is bounded by a stop event and a count, and the context manager
closes the listening socket and every accepted connection, so a test that fails cannot leave a server running.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

Handler = Callable[[socket.socket, threading.Event], None]

MAX_SERVE_S = 120.0  # no hostile server runs longer than this, whatever the test does
HEAD_LIMIT = 64 * 1024


@contextmanager
def hostile_server(handler: Handler, tls_context: ssl.SSLContext | None = None) -> Iterator[int]:
    """Serve `handler(conn, stop)` for each connection; yields the port."""
    stop = threading.Event()
    lsock = socket.create_server(("127.0.0.1", 0))
    lsock.settimeout(0.2)
    conns: list[socket.socket] = []
    t_end = time.monotonic() + MAX_SERVE_S

    def serve_one(conn: socket.socket) -> None:
        try:
            if tls_context is not None:
                conn = tls_context.wrap_socket(conn, server_side=True)
                conns.append(conn)
            handler(conn, stop)
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            conn.close()

    def accept_loop() -> None:
        while not stop.is_set() and time.monotonic() < t_end:
            try:
                conn, _ = lsock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(5.0)
            conns.append(conn)
            threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    try:
        yield lsock.getsockname()[1]
    finally:
        stop.set()
        lsock.close()
        for c in conns:
            try:
                c.close()
            except OSError:
                pass


def read_head(conn: socket.socket) -> bytes:
    """Read a request head (up to HEAD_LIMIT) and, when it announces one, its body."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < HEAD_LIMIT:
        piece = conn.recv(4096)
        if not piece:
            break
        data += piece
    head, _, rest = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            want = min(int(line.split(b":", 1)[1].strip() or 0), 1 << 20) - len(rest)
            while want > 0:
                piece = conn.recv(min(want, 65536))
                if not piece:
                    break
                want -= len(piece)
    return head


def drip(data: bytes, interval_s: float, conn: socket.socket, stop: threading.Event) -> None:
    """Send `data` one byte every `interval_s` until it ends or the server stops."""
    for i in range(len(data)):
        if stop.wait(interval_s):
            return
        conn.sendall(data[i:i + 1])


def drip_headers(interval_s: float = 1.0) -> Handler:
    """Answer any request with a status line and headers that never end, one byte per interval."""

    def handler(conn: socket.socket, stop: threading.Event) -> None:
        read_head(conn)
        drip(b"HTTP/1.1 200 OK\r\n" + b"X-Drip: " + b"a" * 10_000, interval_s, conn, stop)

    return handler


def sse_head(extra: bytes = b"") -> bytes:
    return (b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
            b"connection: close\r\n" + extra + b"\r\n")


def sse_forever(frame: bytes, interval_s: float) -> Handler:
    """An SSE answer that sends `frame` every `interval_s` for ever (until the server stops)."""

    def handler(conn: socket.socket, stop: threading.Event) -> None:
        read_head(conn)
        conn.sendall(sse_head())
        for _ in range(1_000_000):
            if stop.wait(interval_s):
                return
            conn.sendall(frame)

    return handler


def sse_once(body: bytes) -> Handler:
    """An SSE answer with `body`, then the connection closes."""

    def handler(conn: socket.socket, stop: threading.Event) -> None:
        read_head(conn)
        conn.sendall(sse_head() + body)

    return handler


def http_once(raw: bytes) -> Handler:
    """Any bytes as the whole answer (status line included), then close."""

    def handler(conn: socket.socket, stop: threading.Event) -> None:
        read_head(conn)
        conn.sendall(raw)

    return handler
