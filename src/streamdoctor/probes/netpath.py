"""The way to the API host as the clients take it: resolve, connect directly or through an HTTP CONNECT proxy.

Shared by the TCP, TLS, ClientHello and MTU probes so they all test the same path. Every step has a timeout
and closes its socket when the cancel token fires, so a blocked connect or read ends at once.
"""

from __future__ import annotations

import base64
import contextlib
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from ..cancel import CancelToken
from ..errors import Cancelled
from ..i18n import _
from .base import ProbeContext
from .proxy_choice import client_proxy

MAX_REPLY_HEADER_BYTES = 64 * 1024
BODY_SNIPPET_BYTES = 2048

# Headers that name or reveal a box in the middle; recorded wherever an HTTP answer is seen.
MIDDLEBOX_HEADERS = ("via", "x-cache", "x-cache-lookup", "x-squid-error", "proxy-agent", "server",
                     "x-forwarded-for", "x-bluecoat-via", "x-zscaler-transaction-id", "x-iwsaas",
                     "x-netskope-inspected", "x-fortigate", "x-proxy-id", "proxy-authenticate", "proxy-connection")


class PathError(Exception):
    """A step on the way failed. `kind` is a stable word the rules key on: dns, refused, timeout, unreachable,
    reset, closed, proxy-auth, proxy-denied, proxy-error, proxy-garbage, proxy-unsupported, proxy-unreachable."""

    def __init__(self, kind: str, detail: str, **info: Any) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.info = info


@dataclass
class ProxyReply:
    """The proxy's answer to CONNECT: status line, headers, the start of an error body."""

    status: int
    reason: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""

    def header(self, name: str) -> str:
        return next((v for k, v in self.headers if k.lower() == name), "")

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "reason": self.reason, "headers": [list(h) for h in self.headers],
                "body_start": self.body[:500]}


def redact_url(url: str | None) -> str | None:
    """The URL with its password replaced, safe for logs, reports and the bundle."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = f"{parts.username}:<redacted>@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return parts._replace(netloc=netloc).geturl()
    except ValueError:  # a malformed port or IPv6 part (found by the fuzz suite): redact by pattern instead
        return re.sub(r"(//[^/@:]*):[^/@]*@", r"\1:<redacted>@", url)


def resolve(host: str, port: int, timeout: float, cancel: CancelToken) -> list[tuple[int, str]]:
    """getaddrinfo with a timeout and cancel: the system resolver cannot be interrupted, so it runs in a daemon
    thread that is abandoned if it takes too long. Returns [(family, address)] in the resolver's order."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except Exception as exc:  # handed to the caller below
            box["error"] = exc
        done.set()

    threading.Thread(target=work, name=f"resolve-{host}", daemon=True).start()
    deadline = time.monotonic() + timeout
    while not done.wait(0.05):
        if cancel.cancelled:
            raise Cancelled()
        if time.monotonic() > deadline:
            raise PathError("dns-timeout", _("no answer from the resolver for {host} within {secs:.0f} s", host=host,
                                                 secs=timeout))
    if "error" in box:
        exc = box["error"]
        raise PathError("dns", _("{host} could not be resolved: {error}", host=host, error=str(exc)),
                        errno=getattr(exc, "errno", None))
    out: list[tuple[int, str]] = []
    for family, _type, _proto, _name, sockaddr in box["infos"]:
        entry = (int(family), str(sockaddr[0]))
        if entry not in out:
            out.append(entry)
    return out


def connect_addr(family: int, address: str, port: int, timeout: float, cancel: CancelToken) -> socket.socket:
    """One TCP connect with a timeout; the cancel token closes the socket mid-connect."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        with cancel.closing(sock.close):
            sock.connect((address, port))
    except BaseException as exc:
        sock.close()
        if cancel.cancelled:
            raise Cancelled() from exc
        raise _connect_error(exc, f"{address}:{port}") from exc
    return sock


def connect_host(host: str, port: int, timeout: float, cancel: CancelToken,
                 addresses: list[tuple[int, str]] | None = None) -> tuple[socket.socket, str]:
    """Connect to the first address of `host` that answers (like the clients do). Returns (socket, address)."""
    addresses = addresses or resolve(host, port, timeout, cancel)
    last: PathError | None = None
    for family, address in addresses:
        try:
            return connect_addr(family, address, port, timeout, cancel), address
        except PathError as exc:
            last = exc
    assert last is not None
    raise last


def _connect_error(exc: BaseException, where: str) -> PathError:
    if isinstance(exc, TimeoutError):
        return PathError("timeout", _("no answer from {where} (timed out)", where=where))
    if isinstance(exc, ConnectionRefusedError):
        return PathError("refused", _("{where} refused the connection", where=where))
    if isinstance(exc, ConnectionResetError):
        return PathError("reset", _("{where} reset the connection", where=where))
    if isinstance(exc, OSError):
        return PathError("unreachable", _("{where} is unreachable: {error}", where=where,
                                          error=str(exc.strerror or exc)))
    return PathError("error", f"{where}: {exc}")


def proxy_authorization(proxy_url: str) -> str:
    """The Basic Proxy-Authorization value for user:password in the proxy URL, or ''."""
    parts = urlsplit(proxy_url)
    if parts.username is None:
        return ""
    token = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    return "Basic " + base64.b64encode(token).decode()


def connect_via_proxy(proxy_url: str, host: str, port: int, timeout: float,
                      cancel: CancelToken) -> tuple[socket.socket, ProxyReply]:
    """Open a CONNECT tunnel to host:port through an http(s):// proxy. Raises PathError on any refusal, with
    the proxy's reply (status, headers, body start) in `info["reply"]`."""
    parts = urlsplit(proxy_url)
    scheme = (parts.scheme or "http").lower()
    if scheme.startswith("socks"):
        raise PathError("proxy-unsupported", _("the proxy is a SOCKS proxy ({proxy}); Claude Code and the Node SDK "
                                               "cannot use SOCKS", proxy=redact_url(proxy_url)), scheme=scheme)
    if scheme not in ("http", "https") or not parts.hostname:
        raise PathError("proxy-unsupported", _("'{proxy}' is not a usable proxy URL", proxy=redact_url(proxy_url)),
                        scheme=scheme)
    proxy_port = parts.port or (443 if scheme == "https" else 80)
    try:
        sock, _unused = connect_host(parts.hostname, proxy_port, timeout, cancel)
    except PathError as exc:
        kind = "proxy-dns" if exc.kind.startswith("dns") else "proxy-unreachable"
        raise PathError(kind, _("the proxy {host}:{port} cannot be reached: {error}", host=parts.hostname,
                                port=proxy_port, error=exc.detail)) from exc
    try:
        if scheme == "https":
            tls = ssl.create_default_context()
            with cancel.closing(sock.close):
                sock = tls.wrap_socket(sock, server_hostname=parts.hostname)
        target = f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"
        lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}", "User-Agent: streamdoctor"]
        auth = proxy_authorization(proxy_url)
        if auth:
            lines.append(f"Proxy-Authorization: {auth}")
        with cancel.closing(sock.close):
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            reply = read_http_head(sock, timeout)
    except PathError:
        sock.close()
        raise
    except BaseException as exc:
        sock.close()
        if cancel.cancelled:
            raise Cancelled() from exc
        raise PathError("proxy-error", _("the proxy broke off the CONNECT: {error}", error=_short(exc))) from exc
    if reply.status == 200:
        return sock, reply
    sock.close()
    raise _proxy_refusal(reply, host, port)


def _proxy_refusal(reply: ProxyReply, host: str, port: int) -> PathError:
    if reply.status == 407:
        schemes = [v.split()[0] for k, v in reply.headers if k.lower() == "proxy-authenticate" and v.split()]
        return PathError("proxy-auth", _("the proxy requires authentication (407; offers {schemes})",
                                         schemes=", ".join(schemes) or "?"),
                         reply=reply.to_dict(), auth_schemes=schemes)
    if reply.status in (403, 401):
        return PathError("proxy-denied", _("the proxy refused the tunnel to {host}:{port} ({status} {reason})",
                                           host=host, port=port, status=reply.status, reason=reply.reason),
                         reply=reply.to_dict())
    return PathError("proxy-error", _("the proxy answered CONNECT with {status} {reason}", status=reply.status,
                                      reason=reply.reason), reply=reply.to_dict())


def read_http_head(sock: socket.socket, timeout: float) -> ProxyReply:
    """Read an HTTP response head (and up to 2 KB of body when it is an error page). Non-HTTP bytes raise
    PathError("proxy-garbage")."""
    sock.settimeout(timeout)
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            chunk = sock.recv(4096)
            if not chunk:
                if not buf:
                    raise PathError("proxy-closed", _("the proxy closed the connection without answering"))
                break
            buf += chunk
            if len(buf) > MAX_REPLY_HEADER_BYTES:
                break
            if len(buf) >= 5 and not buf.startswith(b"HTTP/"):
                break
    except TimeoutError as exc:
        raise PathError("proxy-timeout", _("the proxy did not answer within {secs:.0f} s", secs=timeout)) from exc
    except ConnectionResetError as exc:
        raise PathError("proxy-reset", _("the proxy reset the connection")) from exc
    if not buf.startswith(b"HTTP/"):
        raise PathError("proxy-garbage", _("the proxy did not answer in HTTP"), body_start=buf[:200].decode("latin-1"))
    head, _unused, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    bits = lines[0].split(" ", 2)
    try:
        status = int(bits[1])
    except (IndexError, ValueError):
        raise PathError("proxy-garbage", _("the proxy sent a malformed status line: {line}",
                                             line=repr(lines[0][:80]))) from None
    headers = []
    for line in lines[1:]:
        k, sep, v = line.partition(":")
        if sep:
            headers.append((k.strip(), v.strip()))
    reply = ProxyReply(status, bits[2] if len(bits) > 2 else "", headers)
    if status != 200:
        reply.body = _read_some_body(sock, rest, reply, min(timeout, 1.0))
    return reply


def _read_some_body(sock: socket.socket, start: bytes, reply: ProxyReply, timeout: float) -> str:
    try:
        want = min(int(reply.header("content-length") or BODY_SNIPPET_BYTES), BODY_SNIPPET_BYTES)
    except ValueError:
        want = BODY_SNIPPET_BYTES
    body = start
    sock.settimeout(timeout)
    with contextlib.suppress(OSError):
        while len(body) < want:
            chunk = sock.recv(want - len(body))
            if not chunk:
                break
            body += chunk
    return body[:BODY_SNIPPET_BYTES].decode("utf-8", "replace")


@dataclass
class Route:
    """How a probe reached the API host: the socket plus what it took to get it."""

    sock: socket.socket
    proxy: str | None  # redacted proxy URL, or None for direct
    address: str  # the address connected to (the proxy's when proxied)
    connect_s: float
    proxy_reply: ProxyReply | None = None


def open_route(ctx: ProbeContext, cancel: CancelToken, timeout: float | None = None,
               client: str = "python-sdk") -> Route:
    """A TCP connection to the API host the way `client` would make it: directly or through its proxy."""
    timeout = timeout or ctx.connect_timeout_s
    proxy = client_proxy(ctx, client)
    t0 = time.monotonic()
    if proxy:
        sock, reply = connect_via_proxy(proxy, ctx.host, ctx.port, timeout, cancel)
        peer = sock.getpeername()[0] if sock.family in (socket.AF_INET, socket.AF_INET6) else ""
        return Route(sock, redact_url(proxy), peer, time.monotonic() - t0, reply)
    sock, address = connect_host(ctx.host, ctx.port, timeout, cancel)
    return Route(sock, None, address, time.monotonic() - t0)


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]
