"""TCP: can the API host be reached directly, and through the proxy the clients use (HTTP CONNECT)?

Both paths are tried side by side: on a corporate network the direct one is often blocked on purpose, and the
difference between the two is what tells "the proxy is required" from "the proxy is broken". A refusal by the
proxy (407, 403, an HTML error page) is recorded with its status line and headers so the rules can explain it.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from ..cancel import CancelToken
from ..errors import Cancelled
from ..model import Evidence, ProbeResult, Status
from .base import ProbeContext, Progress, ProgressCallback, run_threads
from .netpath import (
    MIDDLEBOX_HEADERS,
    PathError,
    connect_addr,
    connect_via_proxy,
    proxy_authorization,
    redact_url,
    resolve,
)
from .proxy_choice import client_proxy


class TCPProbe:
    name = "tcp"
    title = "Connection (TCP)"
    needs: tuple[str, ...] = ("env.proxy",)  # the proxy the clients use, as the scan refined it
    quick = True

    def run(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult:
        proxy = client_proxy(ctx)
        progress(Progress(self.name, None, f"connecting to {ctx.host}:{ctx.port}"))
        out: dict[str, Any] = {}
        threads = [threading.Thread(target=self._guard, args=(out, "direct", _direct, ctx, cancel), daemon=True)]
        if proxy:
            threads.append(threading.Thread(target=self._guard, args=(out, "via_proxy", _via_proxy, ctx, cancel,
                                                                       proxy), daemon=True))
        run_threads(threads, cancel)
        direct, via = out.get("direct", {}), out.get("via_proxy")
        data = {"host": ctx.host, "port": ctx.port, "proxy": redact_url(proxy), "direct": direct, "via_proxy": via,
                "raw": {}}
        reply = (via or {}).get("reply")
        if reply:  # the proxy's own words, for IT
            data["raw"]["proxy reply to CONNECT"] = "\n".join(
                [f"{reply['status']} {reply['reason']}"] + [f"{k}: {v}" for k, v in reply.get("headers", [])]
                + ["", reply.get("body_start", "")])
        used = via if proxy else direct
        evidence = [Evidence("Direct connection", _describe(direct))]
        if via is not None:
            evidence.append(Evidence(f"Through the proxy {redact_url(proxy)}", _describe(via)))
            if via.get("reply"):
                reply = via["reply"]
                raw = "\n".join(f"{k}: {v}" for k, v in reply.get("headers", []))
                evidence.append(Evidence("Proxy answer", f"{reply['status']} {reply['reason']}", "", raw))
        if used and used.get("ok"):
            how = "through the proxy" if proxy else "directly"
            return ProbeResult(self.name, Status.OK,
                               f"Connected {how} to {ctx.host}:{ctx.port} in {used['time_s'] * 1000:.0f} ms"
                               + _failed_first(used), data, evidence)
        what = (used or {}).get("error") or "no connection"
        return ProbeResult(self.name, Status.FAIL, f"Could not connect: {what}", data, evidence, error=what)

    @staticmethod
    def _guard(out: dict[str, Any], key: str, fn: Any, *args: Any) -> None:
        try:
            out[key] = fn(*args)
        except Cancelled:
            out[key] = {"ok": False, "kind": "cancelled", "error": "cancelled"}
        except Exception as exc:  # recorded, never raised: a probe reports, it does not crash
            out[key] = {"ok": False, "kind": "error", "error": f"{type(exc).__name__}: {exc}"}


def _direct(ctx: ProbeContext, cancel: CancelToken) -> dict[str, Any]:
    """Connect to the first IPv4 and the first IPv6 address (in the resolver's order); ok if either works, as
    the clients fall back from one to the other."""
    t0 = time.monotonic()
    try:
        answers = resolve(ctx.host, ctx.port, ctx.connect_timeout_s, cancel)
    except PathError as exc:
        return {"ok": False, "kind": exc.kind, "error": exc.detail, "time_s": time.monotonic() - t0, "attempts": []}
    firsts: list[tuple[int, str]] = []
    for wanted in (socket.AF_INET, socket.AF_INET6):
        first = next(((f, a) for f, a in answers if f == wanted), None)
        if first:
            firsts.append(first)
    firsts.sort(key=lambda fa: answers.index(fa))
    attempts = []
    for family, address in firsts:
        t1 = time.monotonic()
        try:
            connect_addr(family, address, ctx.port, ctx.connect_timeout_s, cancel).close()
            attempts.append({"address": address, "ok": True, "time_s": time.monotonic() - t1})
        except PathError as exc:
            attempts.append({"address": address, "ok": False, "kind": exc.kind, "error": exc.detail,
                             "time_s": time.monotonic() - t1})
    good = next((a for a in attempts if a["ok"]), None)
    if good:
        # time_s is the wait a client that tries the addresses in this order has: the failed attempts count.
        return {"ok": True, "address": good["address"], "time_s": time.monotonic() - t0,
                "connect_s": good["time_s"], "attempts": attempts}
    last = attempts[-1] if attempts else {"kind": "dns", "error": "no address"}
    return {"ok": False, "kind": last["kind"], "error": last["error"], "time_s": time.monotonic() - t0,
            "attempts": attempts}


def _via_proxy(ctx: ProbeContext, cancel: CancelToken, proxy: str) -> dict[str, Any]:
    t0 = time.monotonic()
    try:
        sock, reply = connect_via_proxy(proxy, ctx.host, ctx.port, ctx.connect_timeout_s, cancel)
    except PathError as exc:
        return {"ok": False, "kind": exc.kind, "error": exc.detail, "time_s": time.monotonic() - t0,
                "proxy": redact_url(proxy), "reply": exc.info.get("reply"),
                "auth_schemes": exc.info.get("auth_schemes", []), "scheme": exc.info.get("scheme"),
                "credentials_sent": bool(proxy_authorization(proxy)),
                "middlebox_headers": _middlebox(exc.info.get("reply"))}
    sock.close()
    return {"ok": True, "time_s": time.monotonic() - t0, "proxy": redact_url(proxy), "reply": reply.to_dict(),
            "credentials_sent": bool(proxy_authorization(proxy)), "middlebox_headers": _middlebox(reply.to_dict())}


def _middlebox(reply: dict[str, Any] | None) -> dict[str, str]:
    if not reply:
        return {}
    return {k: v for k, v in reply.get("headers", []) if k.lower() in MIDDLEBOX_HEADERS}


def _failed_first(used: dict[str, Any]) -> str:
    """The attempts that failed before the one that worked, so the summary never hides a 5 s timeout."""
    failed = [a for a in used.get("attempts") or [] if not a.get("ok")]
    if not failed:
        return ""
    words = "; ".join(f"{a['address']} failed first ({a.get('kind', 'error')} after {a['time_s']:.1f} s)"
                      for a in failed)
    return f" ({words}; {used.get('address')} connected in {float(used.get('connect_s') or 0) * 1000:.0f} ms)"


def _describe(d: dict[str, Any] | None) -> str:
    if not d:
        return "not tried"
    if d.get("ok"):
        return (f"connected in {d['time_s'] * 1000:.0f} ms" + (f" to {d['address']}" if d.get("address") else "")
                + _failed_first(d))
    return f"failed: {d.get('error', '?')}"
