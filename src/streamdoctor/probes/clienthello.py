"""Large ClientHello A/B: does a ServerHello come back for a small hello and for a large one?

Since browsers and Node started sending post-quantum key shares, the ClientHello no longer fits one TCP
segment. Some middleboxes (old firewalls, DPI, a few VPNs) drop or reset such hellos while small ones pass:
every TLS connection from a modern client then stalls or resets before a byte of HTTP. Both hellos are built
by hand (probes/tlswire.py) and sent over raw TCP on the clients' path; no full handshake is needed.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from ..cancel import CancelToken
from ..errors import Cancelled
from ..i18n import N_, _
from ..model import Evidence, ProbeResult, Status
from .base import ProbeContext, Progress, ProgressCallback, run_threads
from .netpath import PathError, open_route
from .tlswire import client_hello, parse_answer

ANSWERED = ("server_hello", "hello_retry", "alert")


class ClientHelloProbe:
    name = "clienthello"
    title = N_("Large TLS hello")
    needs: tuple[str, ...] = ("env.proxy",)  # the proxy the clients use, as the scan refined it
    quick = True

    def run(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult:
        if not ctx.is_tls:
            return ProbeResult(self.name, Status.SKIPPED, _("Plain HTTP URL: no TLS hello to test"), {"skipped": True})
        progress(Progress(self.name, None, _("sending a small and a large TLS hello")))
        timeout = float(ctx.options.get("clienthello_timeout_s", ctx.connect_timeout_s))
        out: dict[str, dict[str, Any]] = {}
        threads = [threading.Thread(target=_try_into, args=(out, size, ctx, cancel, timeout), daemon=True)
                   for size in ("small", "large")]
        run_threads(threads, cancel)
        small, large = out["small"], out["large"]
        small_ok, large_ok = small["outcome"] in ANSWERED, large["outcome"] in ANSWERED
        data = {"small": small, "large": large, "proxy": small.get("proxy"),
                "dropped_large": small_ok and not large_ok, "timeout_s": timeout}
        evidence = [Evidence(_("Small hello ({bytes} B)", bytes=small["bytes"]), _describe(small)),
                    Evidence(_("Large hello ({bytes} B)", bytes=large["bytes"]), _describe(large))]
        if small_ok and large_ok:
            return ProbeResult(self.name, Status.OK,
                               _("Both hellos answered ({small} B and {large} B)", small=small["bytes"],
                                 large=large["bytes"]), data, evidence)
        if data["dropped_large"]:
            return ProbeResult(self.name, Status.FAIL,
                               _("The {large} B hello got no answer ({outcome}) while the {small} B one did",
                                 large=large["bytes"], outcome=large["outcome"], small=small["bytes"]), data, evidence)
        return ProbeResult(self.name, Status.ERROR,
                           _("Could not test: the small hello got no answer ({outcome}: {detail})",
                             outcome=small["outcome"], detail=small.get("detail", "")), data, evidence,
                           error=small.get("detail", ""))


def _try_into(out: dict[str, dict[str, Any]], size: str, ctx: ProbeContext, cancel: CancelToken,
              timeout: float) -> None:
    hello = client_hello(ctx.host, large=size == "large")
    try:
        out[size] = {"bytes": len(hello), **send_hello(hello, ctx, cancel, timeout)}
    except Cancelled:
        out[size] = {"bytes": len(hello), "outcome": "cancelled"}
    except Exception as exc:  # recorded, never raised
        out[size] = {"bytes": len(hello), "outcome": "error", "detail": f"{type(exc).__name__}: {exc}"[:200]}


def send_hello(hello: bytes, ctx: ProbeContext, cancel: CancelToken, timeout: float) -> dict[str, Any]:
    """Send one hello and read the first record back. Outcomes: server_hello, hello_retry, alert, not_tls,
    reset, closed, timeout, connect (the path itself failed)."""
    try:
        route = open_route(ctx, cancel, timeout)
    except PathError as exc:
        return {"outcome": "connect", "detail": exc.detail, "kind": exc.kind}
    sock = route.sock
    t0 = time.monotonic()
    buf = b""
    try:
        with cancel.closing(sock.close):
            sock.settimeout(timeout)
            sock.sendall(hello)
            deadline = t0 + timeout
            while True:
                answer = parse_answer(buf)
                if answer is not None:
                    break
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = sock.recv(16384)
                if not chunk:
                    answer = parse_answer(buf, final=True)
                    if answer is None:
                        return {"outcome": "closed", "time_s": time.monotonic() - t0, "proxy": route.proxy,
                                "detail": "the connection was closed without an answer"}
                    break
                buf += chunk
    except (TimeoutError, OSError) as exc:
        if cancel.cancelled:
            raise Cancelled() from exc
        outcome = ("timeout" if isinstance(exc, TimeoutError) else
                   "reset" if isinstance(exc, ConnectionResetError) else "closed")
        return {"outcome": outcome, "time_s": time.monotonic() - t0, "proxy": route.proxy,
                "detail": f"{type(exc).__name__}: {exc}"[:200], "bytes_received": len(buf)}
    finally:
        _abort(sock)
    return {"outcome": answer.kind, "time_s": time.monotonic() - t0, "proxy": route.proxy,
            "version": answer.version, "group": answer.group, "alert": answer.alert,
            "first_bytes": answer.first_bytes}


def _abort(sock: socket.socket) -> None:
    try:
        sock.close()
    except OSError:
        pass


def _describe(d: dict[str, Any]) -> str:
    if d["outcome"] in ("server_hello", "hello_retry"):
        extra = ", ".join(x for x in (d.get("version"), d.get("group")) if x)
        outcome = d["outcome"].replace("_", " ")
        if extra:
            return _("{outcome} in {ms:.0f} ms ({extra})", outcome=outcome, ms=d["time_s"] * 1000, extra=extra)
        return _("{outcome} in {ms:.0f} ms", outcome=outcome, ms=d["time_s"] * 1000)
    if d["outcome"] == "alert":
        return _("TLS alert {alert} (the server read the hello)", alert=d.get("alert"))
    return f"{d['outcome']}: {d.get('detail') or d.get('first_bytes', '')}"
