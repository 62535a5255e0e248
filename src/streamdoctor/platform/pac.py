"""Fetch a PAC file and ask it which proxy the API URL takes, with a hard bound on time.

A PAC file is JavaScript from the network: it can have syntax errors, loop forever, or call dnsResolve() on a
host that never answers. dukpy cannot be interrupted, so the evaluation runs in a separate process (spawned,
not forked: the caller is multi-threaded) that is killed when the time is up. The scan then says "could not
read: the PAC file did not answer within N s" instead of hanging. A frozen build needs
multiprocessing.freeze_support() in its entry point for the child to start.
"""

from __future__ import annotations

import http.client
import multiprocessing
import socket
import ssl
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from urllib.parse import urlsplit

MAX_PAC_BYTES = 1_000_000
# Whole fetch, headers and body together (not per read): a server dripping a byte a second is cut off at this
# bound. Browsers give up on a PAC within a few seconds too; a real one (tens of KB) arrives in well under 1 s.
FETCH_TIMEOUT_S = 2.0
EVAL_TIMEOUT_S = 3.0  # the evaluation in its own process, killed when the time is up
MAX_REDIRECTS = 3  # a PAC behind a redirect or two is common (http -> https); more is a loop
# Starting the evaluator (a new interpreter, or the frozen app started again, importing pypac and dukpy) is not the
# PAC's fault: it has its own, larger bound. On a busy laptop it took over 3 s, and the whole budget used to count
# it, so a healthy PAC file was reported as "did not answer (endless loop?)".
START_TIMEOUT_S = 20.0


@dataclass
class PacOutcome:
    pac_url: str
    result: str | None = None  # what FindProxyForURL returned, e.g. "PROXY a:1; DIRECT"
    error: str | None = None  # "could not read: ..." when fetching or evaluating failed
    script: str = ""  # the first part of the PAC text, kept as evidence


def fetch_pac(url: str, timeout_s: float = FETCH_TIMEOUT_S) -> tuple[str | None, str | None]:
    """(PAC text, None) or (None, 'could not read: why'). Fetched directly (a PAC file is never fetched through
    a proxy), at most MAX_PAC_BYTES; file:// URLs and plain paths are read from disk."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None, f"could not read: {url!r} is not a URL"
    try:
        if parts.scheme in ("", "file"):
            path = Path(urllib.request.url2pathname(parts.path) if parts.scheme == "file" else url)
            if not path.is_file():  # a FIFO would block open() for ever; a folder or device is not a PAC file
                return None, f"could not read: {path} is not a regular file"
            with path.open("rb") as fh:
                data = fh.read(MAX_PAC_BYTES + 1)
        elif parts.scheme in ("http", "https"):
            data = _fetch_http(url, time.monotonic() + timeout_s)
        else:
            return None, f"could not read: unsupported PAC URL scheme {parts.scheme!r}"
    except _Deadline:
        return None, f"could not read: the PAC file did not arrive within {timeout_s:g} s (time budget exceeded)"
    except Exception as exc:  # any fetch failure is a finding about the PAC, never a crash of the scan
        return None, f"could not read: fetching the PAC file failed ({type(exc).__name__}: {exc})"[:300]
    if len(data) > MAX_PAC_BYTES:
        return None, f"could not read: the PAC file is larger than {MAX_PAC_BYTES} bytes"
    return data.decode("utf-8", errors="replace"), None


class _Deadline(Exception):
    pass


def _fetch_http(url: str, deadline: float) -> bytes:
    """GET `url` directly (no proxy), following up to MAX_REDIRECTS redirects, all within `deadline`
    (time.monotonic()). A timer shuts the socket at the deadline, which wakes a read blocked on a dripping
    server; per-read timeouts alone would let a server that sends a byte a second run for ever."""
    for _ in range(MAX_REDIRECTS + 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"redirect to an unusable PAC URL {url!r}")
        left = deadline - time.monotonic()
        if left <= 0:
            raise _Deadline()
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=left,
                                               context=ssl.create_default_context())
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=left)
        expired = threading.Event()
        held: list[socket.socket] = []  # the connection drops its socket once a closing answer starts

        def cut(e: threading.Event = expired, socks: list[socket.socket] = held) -> None:
            e.set()
            for sock in socks:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        timer = threading.Timer(left, cut)
        timer.daemon = True
        timer.start()
        try:
            conn.connect()
            if conn.sock is not None:
                held.append(conn.sock)
            if expired.is_set():
                cut()
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request("GET", path, headers={"User-Agent": "streamdoctor", "Accept": "*/*"})
            resp = conn.getresponse()
            if resp.status in (301, 302, 303, 307, 308) and resp.getheader("location"):
                url = urllib.parse.urljoin(url, resp.getheader("location") or "")
                continue
            if resp.status != 200:
                raise ValueError(f"HTTP Error {resp.status}: {resp.reason}"[:80])
            data = b""
            while len(data) <= MAX_PAC_BYTES:
                piece = resp.read1(64 * 1024)
                if not piece:
                    break
                data += piece
            if expired.is_set():
                raise _Deadline()
            return data
        except Exception:
            if expired.is_set():  # whatever the cut socket made the reader raise, the cause is the deadline
                raise _Deadline() from None
            raise
        finally:
            timer.cancel()
            conn.close()
    raise ValueError(f"more than {MAX_REDIRECTS} redirects")


def _child(pac_text: str, url: str, host: str, conn: Connection) -> None:
    """Runs in the child process: say ("ready", "") once the engine is loaded, then evaluate and send
    ("ok", result) or ("error", why)."""
    try:
        from pypac.parser import PACFile

        conn.send(("ready", ""))
        result = PACFile(pac_text).find_proxy_for_url(url, host)
        conn.send(("ok", str(result)))
    except Exception as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def evaluate_pac(pac_text: str, url: str, timeout_s: float = EVAL_TIMEOUT_S,
                 start_timeout_s: float = START_TIMEOUT_S) -> tuple[str | None, str | None]:
    """(FindProxyForURL result, None) or (None, 'could not read: why'). Never blocks longer than ~start_timeout_s
    (the evaluator starting) + timeout_s (the PAC file's own evaluation)."""
    host = urlsplit(url).hostname or ""
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(pac_text, url, host, sender), daemon=True, name="streamdoctor-pac")
    try:
        proc.start()
    except Exception as exc:
        return None, f"could not read: the PAC evaluator could not start ({exc})"
    finally:
        sender.close()
    try:
        if not receiver.poll(start_timeout_s):
            return None, f"could not read: the PAC evaluator did not start within {start_timeout_s:g} s"
        kind, value = receiver.recv()
        if kind == "ready":
            if not receiver.poll(timeout_s):
                return None, f"could not read: the PAC file did not answer within {timeout_s:g} s (endless loop?)"
            kind, value = receiver.recv()
    except (EOFError, OSError) as exc:
        return None, f"could not read: the PAC evaluator stopped ({type(exc).__name__})"
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(1.0)
        receiver.close()
    if kind != "ok":
        return None, f"could not read: the PAC file is broken ({value})"
    return value, None


def pac_for_url(pac_url: str, url: str, fetch_timeout_s: float = FETCH_TIMEOUT_S,
                eval_timeout_s: float = EVAL_TIMEOUT_S) -> PacOutcome:
    """Fetch `pac_url` and evaluate it for `url`. Never raises."""
    outcome = PacOutcome(pac_url)
    text, error = fetch_pac(pac_url, fetch_timeout_s)
    if text is None:
        outcome.error = error
        return outcome
    outcome.script = text[:4000]
    outcome.result, outcome.error = evaluate_pac(text, url, eval_timeout_s)
    return outcome
