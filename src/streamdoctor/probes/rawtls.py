"""One raw connection to the API host whose ending can be classified: RST, FIN, TLS close_notify or silence.

Python's ssl sockets report a TCP reset as a plain EOF, so the idle test runs TLS itself over its own socket
(ssl.MemoryBIO + SSLContext.wrap_bio): the socket reports RST (ConnectionResetError) and FIN (recv b'') as
they are, and the TLS layer reports close_notify (SSLZeroReturnError). Plain-http endpoints (gateways, the
lab) use the same object without the TLS layer. Through a proxy, https goes through a CONNECT tunnel and http
is sent to the proxy with an absolute URL, as httpx does for the SDK.

After open() the socket is non-blocking, so one thread can watch many connections with select().
"""

from __future__ import annotations

import base64
import contextlib
import select
import socket
import ssl
import struct
import time
from urllib.parse import unquote, urlsplit

from ..cancel import CancelToken
from ..errors import StreamDoctorError
from ..i18n import _

# How a connection ended. The idle probe's data and rules/idle.py key on these strings.
RESET = "reset"  # TCP RST: ConnectionResetError
FIN = "fin"  # TCP FIN without a TLS close_notify: recv() == b''
TLS_CLOSE = "tls_close"  # TLS close_notify (then FIN): a TLS endpoint (the server or an inspecting proxy) hung up
DROP = "drop"  # nothing at all: the request got no answer in time

_RECV = 65536


class ConnectError(StreamDoctorError):
    """The connection could not be opened (refused, timed out, the proxy said no, the TLS handshake failed)."""


class RawConnection:
    """A TCP (+ optional TLS) connection to the API host, possibly through a proxy."""

    def __init__(self, sock: socket.socket, tls: ssl.SSLObject | None, request_target_prefix: str) -> None:
        self.sock = sock
        self.tls = tls
        self._in = ssl.MemoryBIO()
        self._out = ssl.MemoryBIO()
        self.request_target_prefix = request_target_prefix  # "" or "http://host:port" (forward proxy)
        self.last_io = time.monotonic()  # last byte sent or received: the silence a middlebox measures
        self.tls_version = ""
        self.proxied = False

    # --- opening ------------------------------------------------------------------------------------

    @classmethod
    def open(
        cls, base_url: str, *, proxy: str | None, ca_file: str = "", timeout: float = 10.0,
        cancel: CancelToken | None = None, verify: bool = True, family: int = 0,
    ) -> RawConnection:
        """Connect (via `proxy` if given), run the TLS handshake for https, and return the connection.
        `family` (socket.AF_INET / AF_INET6) pins a direct connection to one address family (the watch compares
        both after a network change); 0 lets the resolver choose."""
        parts = urlsplit(base_url)
        host = parts.hostname or ""
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        deadline = time.monotonic() + timeout
        prefix = ""
        target = (host, port)
        if proxy:
            p = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
            target = (p.hostname or "", p.port or 8080)
        try:
            if family and not proxy:
                infos = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
                target = (str(infos[0][4][0]), port)
            sock = socket.create_connection(target, timeout=timeout)
        except (OSError, IndexError) as exc:
            raise ConnectError(_("cannot connect to {host}:{port}: {error}", host=target[0], port=target[1],
                                 error=str(exc))) from exc
        unregister = cancel.on_cancel(sock.close) if cancel is not None else (lambda: None)
        try:
            if proxy and tls:
                _connect_tunnel(sock, host, port, proxy, deadline)
            elif proxy:
                prefix = f"http://{_hostport(host, port, 80)}"
            conn = cls(sock, None, prefix)
            conn.proxied = bool(proxy)
            if tls:
                conn._handshake(host, ca_file, deadline, verify)
        except BaseException:
            sock.close()
            raise
        finally:
            unregister()
        sock.setblocking(False)
        conn.last_io = time.monotonic()
        return conn

    def _handshake(self, host: str, ca_file: str, deadline: float, verify: bool) -> None:
        context = ssl.create_default_context(cafile=ca_file or None)
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        context.set_alpn_protocols(["http/1.1"])
        self.tls = context.wrap_bio(self._in, self._out, server_hostname=host)
        while True:
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush_blocking(deadline)
                self._recv_blocking(deadline)
            except ssl.SSLError as exc:
                raise ConnectError(_("TLS handshake with {host} failed: {error}", host=host,
                                         error=str(exc.reason or exc))) from exc
        self._flush_blocking(deadline)
        self.tls_version = self.tls.version() or ""

    def _flush_blocking(self, deadline: float) -> None:
        data = self._out.read()
        if data:
            self.sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                self.sock.sendall(data)
            except OSError as exc:
                raise ConnectError(_("TLS handshake failed: {error}", error=str(exc))) from exc

    def _recv_blocking(self, deadline: float) -> None:
        self.sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            data = self.sock.recv(_RECV)
        except OSError as exc:
            raise ConnectError(_("TLS handshake failed: {error}", error=str(exc))) from exc
        if not data:
            raise ConnectError(_("TLS handshake failed: the connection was closed"))
        self._in.write(data)

    # --- use ----------------------------------------------------------------------------------------

    def fileno(self) -> int:
        return self.sock.fileno()

    def send(self, data: bytes, timeout: float = 5.0) -> str | None:
        """Send all of `data`; returns None, or the ending kind if the connection turned out to be dead."""
        if self.tls is not None:
            try:
                self.tls.write(data)
            except ssl.SSLError:
                return RESET
            data = self._out.read()
        deadline = time.monotonic() + timeout
        view = memoryview(data)
        while view:
            try:
                sent = self.sock.send(view)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return DROP
                select.select([], [self.sock], [], 0.1)
                continue
            except (ConnectionResetError, BrokenPipeError):
                return RESET
            except OSError:
                return RESET
            view = view[sent:]
        self.last_io = time.monotonic()
        return None

    def poll(self) -> tuple[bytes, str | None]:
        """Read whatever has arrived without blocking: (plaintext, ending kind or None if still open)."""
        raw_eof = False
        ending: str | None = None
        got_raw = False
        while True:
            try:
                data = self.sock.recv(_RECV)
            except (BlockingIOError, InterruptedError):
                break
            except ConnectionResetError:
                ending = RESET
                break
            except OSError:
                ending = RESET
                break
            if not data:
                raw_eof = True
                break
            got_raw = True
            self._in.write(data)  # for plain http the BIO is just a buffer
        if got_raw:
            # The bytes may have waited in the kernel a while (e.g. TLS session tickets that arrived while
            # other connections were still opening): the kernel knows when data really last crossed.
            self.last_io = kernel_last_io(self.sock) or time.monotonic()
        plain = b""
        if self.tls is None:
            plain = self._in.read()
            if ending is None and raw_eof:
                ending = FIN
            return plain, ending
        if raw_eof:
            self._in.write_eof()
        chunks: list[bytes] = []
        while True:
            try:
                piece = self.tls.read(_RECV)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                ending = ending or TLS_CLOSE
                break
            except ssl.SSLEOFError:
                ending = ending or FIN
                break
            except ssl.SSLError:
                ending = ending or RESET
                break
            if not piece:  # the ssl module returns b'' (not SSLZeroReturnError) once close_notify is in
                ending = ending or TLS_CLOSE
                break
            chunks.append(piece)
        pending = self._out.read()  # e.g. a key update answer; best effort
        if pending:
            with contextlib.suppress(OSError):
                self.sock.send(pending)
        if raw_eof and ending is None:
            ending = FIN
        return b"".join(chunks), ending

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def kernel_last_io(sock: socket.socket) -> float | None:
    """Monotonic time data last crossed `sock` either way, from the kernel (Linux TCP_INFO's
    tcpi_last_data_sent / tcpi_last_data_recv, in ms ago), or None where that is not available."""
    tcp_info = getattr(socket, "TCP_INFO", None)
    if tcp_info is None:
        return None
    try:
        raw = sock.getsockopt(socket.IPPROTO_TCP, tcp_info, 64)
    except (OSError, ValueError):
        return None
    if len(raw) < 56:
        return None
    sent_ms, recv_ms = struct.unpack_from("=I", raw, 44)[0], struct.unpack_from("=I", raw, 52)[0]
    return time.monotonic() - min(sent_ms, recv_ms) / 1000


def _hostport(host: str, port: int, default: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if port == default else f"{shown}:{port}"


def _connect_tunnel(sock: socket.socket, host: str, port: int, proxy: str, deadline: float) -> None:
    """CONNECT host:port through an HTTP proxy (Basic auth from the proxy URL's user:password)."""
    p = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    authority = _hostport(host, port, -1)
    lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}"]
    if p.username is not None:
        token = base64.b64encode(f"{unquote(p.username)}:{unquote(p.password or '')}".encode()).decode()
        lines.append(f"Proxy-Authorization: Basic {token}")
    sock.settimeout(max(0.1, deadline - time.monotonic()))
    try:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            data = sock.recv(4096)
            if not data:
                raise ConnectError(_("the proxy closed the connection instead of answering CONNECT"))
            head += data
            if len(head) > 65536:
                raise ConnectError(_("the proxy sent an oversized answer to CONNECT"))
    except OSError as exc:
        raise ConnectError(_("CONNECT through the proxy failed: {error}", error=str(exc))) from exc
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    fields = status_line.split(" ", 2)
    if len(fields) < 2 or fields[1] != "200":
        raise ConnectError(_("the proxy refused CONNECT {authority}: {status}", authority=authority,
                             status=status_line))


def http_status(response: bytes) -> int | None:
    """The status code once a whole response head has arrived, else None."""
    if b"\r\n\r\n" not in response and b"\n\n" not in response:
        return None
    first = response.split(b"\n", 1)[0].decode("latin-1").strip()
    fields = first.split(" ", 2)
    if len(fields) >= 2 and fields[0].startswith("HTTP/") and fields[1].isdigit():
        return int(fields[1])
    return 0  # something answered, but not with HTTP
