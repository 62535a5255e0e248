"""One step ladder on one forced path: TCP to a given address, TLS, an HTTP answer, a short stream.

The matrix needs the same tests on paths the OS would not choose by itself (IPv6 only, IPv4 only), so it
cannot go through the SDK's stack, which picks the address. Each step is timed and ends in one stable word
(ok, timeout, reset, closed, refused, unreachable, tls-error, not-http, error) the rules key on. Certificates
are not checked here: the TLS probe does that; this ladder asks only whether the path carries the bytes.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import time
from typing import Any

from ...cancel import CancelToken
from ...errors import Cancelled
from ...i18n import _
from ..netpath import PathError, connect_addr

HEAD_LIMIT = 64 * 1024
STREAM_MAX_TOKENS = 16  # a few words: enough to see events arrive, costs next to nothing
API_VERSION = "2023-06-01"


def step_error(exc: BaseException) -> dict[str, Any]:
    """An exception from a step as {kind, error}: the words the rules and the matrix read."""
    if isinstance(exc, PathError):
        return {"kind": exc.kind, "error": exc.detail}
    if isinstance(exc, TimeoutError):
        return {"kind": "timeout", "error": _("no answer in time")}
    if isinstance(exc, ConnectionResetError):
        return {"kind": "reset", "error": _("the connection was reset")}
    if isinstance(exc, ssl.SSLError):
        return {"kind": "tls-error", "error": f"TLS: {exc.reason or exc}"[:200]}
    if isinstance(exc, ConnectionError | EOFError):
        return {"kind": "closed", "error": _("the connection was closed")}
    if isinstance(exc, OSError):
        return {"kind": "error", "error": f"{type(exc).__name__}: {exc}"[:200]}
    return {"kind": "error", "error": f"{type(exc).__name__}: {exc}"[:200]}


def open_path(family: int, address: str, host: str, port: int, tls: bool, timeout: float,
              cancel: CancelToken, steps: dict[str, Any]) -> socket.socket | ssl.SSLSocket:
    """TCP (and TLS when `tls`) to `address`; records each step's time into `steps`. Raises on failure after
    recording it, so the caller knows which step broke."""
    t0 = time.monotonic()
    try:
        sock: socket.socket | ssl.SSLSocket = connect_addr(family, address, port, timeout, cancel)
    except PathError as exc:
        steps["tcp"] = {"ok": False, "time_s": time.monotonic() - t0, **step_error(exc)}
        raise
    steps["tcp"] = {"ok": True, "time_s": time.monotonic() - t0}
    if not tls:
        return sock
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the path is under test here, not the certificate (the TLS probe checks it)
    ctx.set_alpn_protocols(["http/1.1"])
    t1 = time.monotonic()
    try:
        with cancel.closing(sock.close):
            sock.settimeout(timeout)
            sock = ctx.wrap_socket(sock, server_hostname=host)
    except BaseException as exc:
        sock.close()
        if cancel.cancelled:
            raise Cancelled() from exc
        steps["tls"] = {"ok": False, "time_s": time.monotonic() - t1, **step_error(exc)}
        raise
    steps["tls"] = {"ok": True, "time_s": time.monotonic() - t1, "version": sock.version()}
    return sock


def http_get(sock: socket.socket | ssl.SSLSocket, host: str, path: str, timeout: float,
             cancel: CancelToken) -> dict[str, Any]:
    """GET `path` without credentials and read the answer's head: any HTTP status means the path carries a
    request and its answer (the API answers 401 or 404 to a key-less GET)."""
    t0 = time.monotonic()
    req = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: streamdoctor\r\n"
           f"anthropic-version: {API_VERSION}\r\nConnection: close\r\n\r\n").encode()
    try:
        with cancel.closing(sock.close):
            sock.settimeout(timeout)
            sock.sendall(req)
            head, body = read_head(sock, timeout)
    except BaseException as exc:
        if cancel.cancelled:
            raise Cancelled() from exc
        return {"ok": False, "time_s": time.monotonic() - t0, **step_error(exc)}
    status, headers = parse_head(head)
    if status is None:
        return {"ok": False, "time_s": time.monotonic() - t0, "kind": "not-http",
                "error": _("not an HTTP answer: {start}", start=repr(head[:60]))}
    return {"ok": True, "time_s": time.monotonic() - t0, "status": status, "headers": headers,
            "body_start": body[:2048].decode("utf-8", "replace")}


def stream_once(sock: socket.socket | ssl.SSLSocket, host: str, api_key: str, model: str, timeout: float,
                cancel: CancelToken) -> dict[str, Any]:
    """A short streamed answer: the time to the first event and whether `message_stop` arrived."""
    body = json.dumps({"model": model, "max_tokens": STREAM_MAX_TOKENS, "stream": True,
                       "messages": [{"role": "user", "content": "Say hello in three words."}]}).encode()
    head = (f"POST /v1/messages HTTP/1.1\r\nHost: {host}\r\nUser-Agent: streamdoctor\r\n"
            f"anthropic-version: {API_VERSION}\r\nx-api-key: {api_key}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    t0 = time.monotonic()
    out: dict[str, Any] = {"ok": False, "events": 0, "first_event_s": None}
    buf = b""
    try:
        with cancel.closing(sock.close):
            sock.settimeout(timeout)
            sock.sendall(head + body)
            deadline = t0 + timeout
            while b"message_stop" not in buf:
                sock.settimeout(max(0.05, deadline - time.monotonic()))
                if time.monotonic() > deadline:
                    raise TimeoutError()
                chunk = sock.recv(16384)
                if not chunk:
                    raise ConnectionAbortedError("closed")
                buf += chunk
                if out["first_event_s"] is None and b"event:" in buf:
                    out["first_event_s"] = time.monotonic() - t0
    except BaseException as exc:
        if cancel.cancelled:
            raise Cancelled() from exc
        status, _unused = parse_head(buf.partition(b"\r\n\r\n")[0]) if buf else (None, [])
        out.update(time_s=time.monotonic() - t0, status=status, events=buf.count(b"event:"), **step_error(exc))
        return out
    status, _unused = parse_head(buf.partition(b"\r\n\r\n")[0])
    out.update(ok=status == 200, time_s=time.monotonic() - t0, status=status, events=buf.count(b"event:"))
    if status != 200:
        out.update(kind="http-status", error=f"HTTP {status}")
    return out


def read_head(sock: socket.socket | ssl.SSLSocket, timeout: float) -> tuple[bytes, bytes]:
    """The response head and whatever part of the body came with it."""
    buf = b""
    deadline = time.monotonic() + timeout
    while b"\r\n\r\n" not in buf and len(buf) < HEAD_LIMIT:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        chunk = sock.recv(16384)
        if not chunk:
            if not buf:
                raise ConnectionAbortedError("closed without an answer")
            break
        buf += chunk
    head, _unused, rest = buf.partition(b"\r\n\r\n")
    return head, rest


def parse_head(head: bytes) -> tuple[int | None, list[list[str]]]:
    lines = head.decode("latin-1").split("\r\n")
    bits = lines[0].split(" ", 2)
    if len(bits) < 2 or not bits[0].startswith("HTTP/"):
        return None, []
    try:
        status = int(bits[1])
    except ValueError:
        return None, []
    headers = [[k.strip(), v.strip()] for k, sep, v in (line.partition(":") for line in lines[1:]) if sep]
    return status, headers


def close_quietly(sock: socket.socket | ssl.SSLSocket | None) -> None:
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.close()
