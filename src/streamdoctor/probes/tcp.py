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
from ..i18n import N_, _
from ..i18n.joining import clauses
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
    title = N_("Connection (TCP)")
    needs: tuple[str, ...] = ("env.proxy",)  # the proxy the clients use, as the scan refined it
    quick = True

    def run(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult:
        proxy = client_proxy(ctx)
        progress(Progress(self.name, None, _("connecting to {host}:{port}", host=ctx.host, port=ctx.port)))
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
        evidence = [Evidence(_("Direct connection"), _describe(direct))]
        if via is not None:
            evidence.append(Evidence(_("Through the proxy {proxy}", proxy=redact_url(proxy)), _describe(via)))
            if via.get("reply"):
                reply = via["reply"]
                raw = "\n".join(f"{k}: {v}" for k, v in reply.get("headers", []))
                evidence.append(Evidence(_("Proxy answer"), f"{reply['status']} {reply['reason']}", "", raw))
        if used and used.get("ok"):
            words = {"host": ctx.host, "port": ctx.port, "ms": used["time_s"] * 1000, "earlier": _failed_first(used)}
            if proxy:
                summary = _("Connected through the proxy to {host}:{port} in {ms:.0f} ms{earlier}", **words)
            else:
                summary = _("Connected directly to {host}:{port} in {ms:.0f} ms{earlier}", **words)
            return ProbeResult(self.name, Status.OK, summary, data, evidence)
        what = (used or {}).get("error") or _("no connection")
        return ProbeResult(self.name, Status.FAIL, _("Could not connect: {reason}", reason=what), data, evidence,
                           error=what)

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
    words = clauses(*[_("{address} failed first ({kind} after {secs:.1f} s)", address=a["address"],
                          kind=a.get("kind", "error"), secs=a["time_s"]) for a in failed])
    # TRANSLATORS: appended to "Connected ... in 12 ms": the attempts that failed before the one that worked
    return _(" ({failed}; {address} connected in {ms:.0f} ms)", failed=words, address=used.get("address"),
             ms=float(used.get("connect_s") or 0) * 1000)


def _describe(d: dict[str, Any] | None) -> str:
    if not d:
        return _("not tried")
    if d.get("ok"):
        if d.get("address"):
            return _("connected in {ms:.0f} ms to {address}{earlier}", ms=d["time_s"] * 1000, address=d["address"],
                     earlier=_failed_first(d))
        return _("connected in {ms:.0f} ms{earlier}", ms=d["time_s"] * 1000, earlier=_failed_first(d))
    return _("failed: {error}", error=d.get("error", "?"))
