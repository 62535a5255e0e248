"""HTTP reachability through the SDK's own HTTP stack: does the path reach Anthropic?

GET /v1/models without a key must be answered 401 with the API's JSON error: that answer can only come from
the API (or a gateway that speaks for it), so it proves the whole path works: DNS, proxy, TLS, HTTP. It is
sent over HTTP/1.1 and HTTP/2 with anthropic.DefaultHttpxClient (httpx2, the SDK's keepalive options), through
the proxy the clients would use. Headers that reveal a box in the middle (Via, X-Cache, X-Squid-Error,
Proxy-Agent...) are recorded, and a redirect or an HTML page where the API should be is told apart from the API.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from ..cancel import CancelToken
from ..errors import CLIENT_UNSUPPORTED, Cancelled, describe, error_kind
from ..i18n import N_, _
from ..model import Evidence, ProbeResult, Status
from .base import ProbeContext, Progress, ProgressCallback, run_threads
from .netpath import MIDDLEBOX_HEADERS, redact_url
from .proxy_choice import client_proxy
from .sdk_import import load_anthropic

API_VERSION = "2023-06-01"
BODY_LIMIT = 64 * 1024
HTTP_TIMEOUT_S = 10.0  # per read (httpx): a silent server is given up after this long
# A server can answer one byte at a time, each within the read timeout, for ever. One request as a whole (connect,
# send, headers, body up to BODY_LIMIT) therefore also ends at read timeout + connect timeout: a real API answers
# GET /v1/models in well under a second, a 1 MB upload on a 1 Mbit/s uplink takes ~8 s.


class HTTPProbe:
    name = "http"
    title = N_("The API answers (HTTP)")
    needs: tuple[str, ...] = ("env.proxy",)  # the proxy the clients use, as the scan refined it
    quick = True

    def run(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult:
        progress(Progress(self.name, None, _("GET /v1/models without a key (expecting the API's 401)")))
        proxy = client_proxy(ctx)
        url = ctx.base_url.rstrip("/") + "/v1/models"
        results: dict[str, dict[str, Any]] = {}

        def attempt(label: str, http2: bool) -> None:
            results[label] = request(ctx, cancel, "GET", url, http2=http2)
            if results[label].get("kind") == "tls-verify":
                # Still learn whether the path reaches the API; the TLS probe explains the certificate.
                unverified = request(ctx, cancel, "GET", url, http2=http2, verify=False)
                unverified["unverified"] = True
                results[label + "_unverified"] = unverified

        run_parallel([lambda: attempt("h1", False), lambda: attempt("h2", True)], cancel)
        h1, h2 = results["h1"], results["h2"]
        best = next((r for r in (h1, h2, results.get("h1_unverified"), results.get("h2_unverified"))
                     if r and r.get("verdict") == "api"), None)
        exchanges = [x for r in results.values() for x in r.pop("exchanges", [])]
        middlebox: dict[str, str] = {}
        for r in results.values():
            middlebox.update(r.get("middlebox_headers", {}))
        data: dict[str, Any] = {
            "url": url, "proxy": redact_url(proxy), "h1": h1, "h2": h2,
            "h1_unverified": results.get("h1_unverified"), "h2_unverified": results.get("h2_unverified"),
            "reached_api": best is not None, "reached_api_verified": h1.get("verdict") == "api" or
            h2.get("verdict") == "api", "status": (best or h1).get("status"),
            "h2_negotiated": h2.get("http_version") == "HTTP/2", "middlebox_headers": middlebox,
            "exchanges": exchanges,
        }
        evidence = [Evidence("HTTP/1.1 GET /v1/models", _describe(h1)),
                    Evidence("HTTP/2 GET /v1/models", _describe(h2))]
        if middlebox:
            evidence.append(Evidence(_("Headers added on the way"),
                                     "; ".join(f"{k}: {v}" for k, v in middlebox.items())))
        if best is not None:
            words = {"status": best["status"], "error": best.get("api_error_type"), "version": best.get("http_version")}
            if best.get("unverified"):
                summary = _("The API answered {status} ({error}) over {version} (only with certificate checks off)",
                            **words)
            else:
                summary = _("The API answered {status} ({error}) over {version}", **words)
            return ProbeResult(self.name, Status.OK if not best.get("unverified") else Status.WARN,
                               summary, data, evidence)
        worst = h1 if h1.get("verdict") != "error" or h2.get("verdict") == "error" else h2
        if worst.get("verdict") == "html":
            return ProbeResult(self.name, Status.ERROR,
                               _("Could not test: {url} answered HTTP {status} with {content_type} instead of the "
                                 "API's JSON", url=url, status=worst["status"],
                                 content_type=worst.get("content_type") or _("no content type")),
                               data, evidence, error="not the API")
        return ProbeResult(self.name, Status.FAIL, _("The API was not reached: {why}", why=_describe(worst)), data,
                           evidence,
                           error=str(worst.get("error") or ""))


def run_parallel(jobs: list[Callable[[], None]], cancel: CancelToken) -> None:
    """Run the jobs on daemon threads and wait; a cancel stops the wait at once (the jobs' sockets are closed
    by the token). A job's exception is raised here, in the probe's thread, where the runner reports it."""
    errors: list[BaseException] = []

    def guarded(job: Callable[[], None]) -> None:
        try:
            job()
        except Cancelled:
            pass
        except Exception as exc:  # handed to the caller below
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(j,), daemon=True) for j in jobs]
    run_threads(threads, cancel)
    if cancel.cancelled:
        raise Cancelled()
    if errors:
        raise errors[0]


def sdk_verify(ctx: ProbeContext) -> Any:
    """The certificate check the SDK does (SSL_CERT_FILE, else the OS store), plus the caller's CA file."""
    import httpcore2

    sslctx = httpcore2.default_ssl_context()
    if ctx.ca_file:
        sslctx.load_verify_locations(cafile=ctx.ca_file)
    return sslctx


def sdk_client(ctx: ProbeContext, *, http2: bool = False, verify: bool = True, timeout: float = HTTP_TIMEOUT_S,
               on_socket: Callable[[socket.socket], None] | None = None) -> Any:
    """An anthropic.DefaultHttpxClient (the SDK's transport and socket options) that goes exactly where the
    clients go: through client_proxy(ctx), or directly, whatever the environment says."""
    import httpx2
    from httpx2._utils import get_environment_proxies

    anthropic = load_anthropic()  # serialised: probe threads importing the SDK at once can break it

    proxy = client_proxy(ctx)
    tls: Any = sdk_verify(ctx) if verify else False

    def trace(event: str, info: dict[str, Any]) -> None:
        if on_socket is not None and event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if sock is not None:
                on_socket(sock)

    def add_trace(req: Any) -> None:
        req.extensions["trace"] = trace

    # The SDK mounts the environment's proxies itself; override every one of those keys so the probe takes
    # the path client_proxy() chose (which may come from the environment scan, not just env vars).
    keys = set(get_environment_proxies()) | {"all://"}
    transport = (httpx2.HTTPTransport(proxy=httpx2.Proxy(proxy), verify=tls, http2=http2) if proxy else None)
    mounts = {k: transport for k in keys}
    return anthropic.DefaultHttpxClient(
        verify=tls, http2=http2, timeout=httpx2.Timeout(timeout, connect=ctx.connect_timeout_s),
        follow_redirects=False, mounts=mounts, event_hooks={"request": [add_trace]},
    )


def request(ctx: ProbeContext, cancel: CancelToken, method: str, url: str, *, http2: bool = False,
            verify: bool = True, body: bytes | Iterable[bytes] | None = None, timeout: float | None = None,
            on_socket: Callable[[socket.socket], None] | None = None, read_socket_mtu: bool = False,
            extra_headers: dict[str, str] | None = None, total_s: float | None = None) -> dict[str, Any]:
    """One request through the SDK's stack; never raises for network trouble. Returns the status, the
    verdict (api, html, redirect, proxy-auth, other, error), what the error was, and the exchange record."""
    import httpx2

    timeout = timeout or float(ctx.options.get("http_timeout_s", HTTP_TIMEOUT_S))
    total_s = total_s or timeout + ctx.connect_timeout_s
    sockets: list[socket.socket] = []
    over_budget = threading.Event()

    def remember(sock: socket.socket) -> None:
        sockets.append(sock)
        if on_socket is not None:
            on_socket(sock)

    def shut() -> None:
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)  # wakes a blocked read at once; close() alone may not
            except OSError:
                pass

    headers = {"anthropic-version": API_VERSION, "user-agent": "streamdoctor",
               "content-type": "application/json", **(extra_headers or {})}
    out: dict[str, Any] = {"method": method, "url": url, "http2_requested": http2, "verified": verify}
    try:
        client = sdk_client(ctx, http2=http2, verify=verify, timeout=timeout, on_socket=remember)
    except Exception as exc:  # a bad proxy URL or CA file, or a SOCKS proxy without socksio: say so, no crash
        kind = "client-unsupported" if error_kind(exc) == CLIENT_UNSUPPORTED else "setup"
        return {**out, "verdict": "error", "kind": kind, "error": describe(exc)[:300]}
    started, t0 = time.time(), time.monotonic()  # after the client exists: the SDK's import is not the network
    unregister = cancel.on_cancel(shut)

    def budget_spent() -> None:
        over_budget.set()
        shut()

    budget = threading.Timer(total_s, budget_spent)
    budget.daemon = True
    budget.start()
    try:
        with client:
            with client.stream(method, url, headers=headers, content=body) as resp:
                raw = b""
                for chunk in resp.iter_bytes():
                    raw += chunk
                    if len(raw) >= BODY_LIMIT:
                        break
                if read_socket_mtu:
                    out["socket_ip_mtu"] = _socket_mtu(sockets)
            out.update(_classify(resp.status_code, resp.headers, raw), status=resp.status_code,
                       http_version=resp.http_version, time_s=time.monotonic() - t0)
            out["exchanges"] = [_exchange(started, t0, method, url, resp.http_version, resp.status_code,
                                          headers, list(resp.headers.multi_items()))]
    except httpx2.HTTPError as exc:
        if cancel.cancelled:
            raise Cancelled() from exc
        out.update(verdict="error", time_s=time.monotonic() - t0, **_classify_error(exc))
        if over_budget.is_set():
            out.update(kind="total-timeout", error=_("no complete answer within {secs:g} s: the server sent too "
                                                     "slowly or never finished its headers (time budget exceeded)",
                                                     secs=total_s))
        out["exchanges"] = [_exchange(started, t0, method, url, "", 0, headers, [])]
    finally:
        budget.cancel()
        unregister()
    return out


def _socket_mtu(sockets: list[socket.socket]) -> int | None:
    """The kernel's path MTU for the connection (Linux IP_MTU / IPV6_MTU), read while it is still open."""
    if not sys.platform.startswith("linux"):
        return None
    for s in sockets:
        try:
            if s.family == socket.AF_INET:
                return int(s.getsockopt(socket.IPPROTO_IP, 14))
            if s.family == socket.AF_INET6:
                return int(s.getsockopt(socket.IPPROTO_IPV6, 24))
        except OSError:
            continue
    return None


def _classify(status: int, headers: Any, raw: bytes) -> dict[str, Any]:
    ctype = headers.get("content-type", "")
    out: dict[str, Any] = {
        "content_type": ctype, "request_id": headers.get("request-id", ""),
        "middlebox_headers": {k: v for k, v in headers.multi_items() if k.lower() in MIDDLEBOX_HEADERS},
        "body_start": raw[:300].decode("utf-8", "replace"),
    }
    api_type = ""
    if "json" in ctype or raw[:1] == b"{":
        try:
            doc = json.loads(raw.decode("utf-8", "replace"))
            if isinstance(doc, dict) and doc.get("type") == "error" and isinstance(doc.get("error"), dict):
                api_type = str(doc["error"].get("type", ""))
            elif isinstance(doc, dict) and "data" in doc:
                api_type = "ok"
        except ValueError:
            pass
    if api_type:
        return {**out, "verdict": "api", "api_error_type": api_type}
    if status == 407:
        return {**out, "verdict": "proxy-auth"}
    if 300 <= status < 400:
        return {**out, "verdict": "redirect", "location": headers.get("location", "")}
    if "html" in ctype or raw.lstrip()[:1] == b"<":
        return {**out, "verdict": "html"}
    return {**out, "verdict": "other"}


def _classify_error(exc: BaseException) -> dict[str, Any]:
    """Name an httpx2 failure by what broke: TLS verification, the proxy, the connection, a timeout."""
    chain: list[str] = []
    cur: BaseException | None = exc
    seen: set[int] = set()
    while cur is not None and id(cur) not in seen and len(chain) < 6:
        seen.add(id(cur))
        chain.append(f"{type(cur).__name__}: {cur}"[:200])
        cur = cur.__cause__ or cur.__context__
    text = " | ".join(chain)
    name = type(exc).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSLCertVerificationError" in text:
        kind = "tls-verify"
    elif name == "ProxyError" or "407" in text and "Proxy" in text:
        kind = "proxy-auth" if "407" in text else "proxy-error"
    elif name in ("ConnectTimeout", "PoolTimeout"):
        kind = "connect-timeout"
    elif name in ("ReadTimeout", "WriteTimeout"):
        kind = name.replace("Timeout", "").lower() + "-timeout"
    elif "ConnectionResetError" in text or "Connection reset" in text:
        kind = "reset"
    elif name == "ConnectError":
        kind = "dns" if "Name or service not known" in text or "nodename" in text or "getaddrinfo" in text \
            or "Temporary failure in name resolution" in text else "connect"
    elif name == "RemoteProtocolError":
        kind = "closed"
    elif "SSL" in text:
        kind = "tls"
    else:
        kind = "error"
    return {"kind": kind, "error": chain[0] if chain else name, "exception_chain": chain}


def _exchange(started: float, t0: float, method: str, url: str, version: str, status: int,
              req_headers: dict[str, str], resp_headers: list[tuple[str, str]]) -> dict[str, Any]:
    return {"started": started, "time_ms": (time.monotonic() - t0) * 1000, "method": method, "url": url,
            "http_version": version, "status": status, "request_headers": [[k, v] for k, v in req_headers.items()],
            "response_headers": [[k, v] for k, v in resp_headers]}


def _describe(r: dict[str, Any]) -> str:
    if r.get("verdict") == "error":
        return _("failed ({kind}): {error}", kind=r.get("kind"), error=r.get("error"))
    verdict = r.get("verdict", "")
    if verdict == "api":
        extra: str = _("the API's {error}", error=r.get("api_error_type"))
    elif verdict == "redirect":
        extra = _("redirect to {location}", location=r.get("location"))
    elif verdict == "html":
        extra = _("an HTML page ({content_type})", content_type=r.get("content_type"))
    elif verdict == "proxy-auth":
        extra = _("proxy authentication required")
    elif verdict == "other":
        extra = r.get("content_type") or _("unknown content")
    else:
        extra = ""
    return _("HTTP {status} over {version}: {what} in {ms:.0f} ms", status=r.get("status"),
             version=r.get("http_version"), what=extra, ms=r.get("time_s", 0) * 1000)
