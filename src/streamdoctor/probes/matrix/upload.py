"""Request size variants: does a small request and a >= 1 MB one get through, and where is the cut?

Long conversations, pasted files, images and /compact make requests of megabytes; upload policing, a DLP
box or a damaged upload path cuts those while small ones pass, and the user sees resets on exactly their
important requests. The MTU probe's 256 KB request is too small to see a limit above it. This probe sends a
small and a 1 MiB POST side by side through the SDK's stack (the clients' proxy and TLS), without a key (the
API reads the body and answers 401), and watches the socket's send queue so a stalled upload is told from a
slow one. When the large one is cut, it bisects the size in a bounded number of steps within an upload
budget, so the verdict can say "requests above ~N KB are cut". Skipped when the OS says the connection is
metered. That the real API takes a large key-less body and then answers 401 is reported by a user who checked
it by hand (anthropics/claude-code #87424: "A 3 MB POST also went through fine (401 in 0.32s)"); the lab reads
the whole body before answering too.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

from ...cancel import CancelToken
from ...i18n import N_, _
from ...model import Evidence, ProbeResult, Status
from ..base import ProbeContext, Progress, ProgressCallback
from ..http import request, run_parallel
from ..mtu import unsent_bytes
from .metered import metered

SMALL_BYTES = 1024  # one segment: passes even an MTU black hole, so "small works, large does not" stays visible
LARGE_BYTES = 1024 * 1024  # the size of a long conversation or one image: the ">= 1 MB"
UPLOAD_BUDGET_BYTES = 2 * 1024 * 1024  # every byte this probe sends in one run, bisection included
MAX_BISECT_STEPS = 6  # 1 MiB / 2^6 = 16 KB resolution: enough to name a limit, few enough to stay quick
PIECE = 16 * 1024
STALL_S = 4.0  # no byte acknowledged for this long: stuck, not slow (the MTU probe uses the same)
ATTEMPT_TIMEOUT_S = 30.0
CUT_KINDS = ("stall", "reset", "closed", "write-timeout", "read-timeout")
BISECT_BUDGET_S = 15.0  # a stalling path costs STALL_S per step: the bisection stops after this much time


class RequestSizeProbe:
    name = "matrix.upload"
    title = N_("Small and large requests")
    needs: tuple[str, ...] = ("env.proxy",)
    quick = True

    def run(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult:
        opts = ctx.options
        large_bytes = int(opts.get("upload_large_bytes", LARGE_BYTES))
        budget = int(opts.get("upload_budget_bytes", UPLOAD_BUDGET_BYTES))
        data: dict[str, Any] = {"small_bytes": SMALL_BYTES, "large_bytes": large_bytes, "budget_bytes": budget,
                                "attempts": [], "sent_bytes": 0}
        m = metered()
        data["metered"] = {"metered": m.metered, "source": m.source}
        if m.metered:
            return ProbeResult(self.name, Status.SKIPPED,
                               _("Skipped: the connection is metered (the large request would cost {kb} KB of data)",
                                 kb=large_bytes // 1024), {**data, "skipped": "metered"},
                               [Evidence(_("Metered connection"), _("yes"), "", m.raw)])
        timeout = float(opts.get("upload_timeout_s", ATTEMPT_TIMEOUT_S))
        stall = float(opts.get("upload_stall_s", STALL_S))
        progress(Progress(self.name, 0.1, _("a {small} KB and a {large} KB request", small=SMALL_BYTES // 1024,
                                             large=large_bytes // 1024)))
        box: dict[str, dict[str, Any]] = {}
        run_parallel([lambda: box.update(small=attempt(ctx, cancel, SMALL_BYTES, timeout, stall)),
                      lambda: box.update(large=attempt(ctx, cancel, large_bytes, timeout, stall))], cancel)
        small, large = box["small"], box["large"]
        data.update(small=small, large=large)
        data["attempts"] += [small, large]
        if small["outcome"] != "passed":
            data["sent_bytes"] = sum(a["sent_bytes"] for a in data["attempts"])
            return ProbeResult(self.name, Status.ERROR, _("Could not test: the small request failed too ({reason})",
                                                          reason=small.get("error", small["outcome"])),
                               data, _evidence(data),
                               error=str(small.get("error", "")))
        if large["outcome"] == "passed":
            data["sent_bytes"] = sum(a["sent_bytes"] for a in data["attempts"])
            return ProbeResult(self.name, Status.OK, _("A {kb} KB request got through ({secs:.1f} s)",
                                                       kb=large_bytes // 1024, secs=large["time_s"]),
                               data, _evidence(data))
        lo, hi = SMALL_BYTES, large_bytes
        until = time.monotonic() + float(opts.get("upload_bisect_budget_s", BISECT_BUDGET_S))
        for step in range(MAX_BISECT_STEPS):
            spent = sum(a["sent_bytes"] for a in data["attempts"])
            mid = (lo + hi) // 2
            if spent + mid > budget or hi - lo <= PIECE or time.monotonic() > until:
                break
            progress(Progress(self.name, 0.3 + 0.1 * step, _("bisecting: {kb} KB", kb=mid // 1024)))
            r = attempt(ctx, cancel, mid, timeout, stall)
            data["attempts"].append(r)
            if r["outcome"] == "passed":
                lo = mid
            elif r["outcome"] == "cut":
                hi = mid
            else:
                break  # the path broke in another way; keep the bounds found so far
        data["sent_bytes"] = sum(a["sent_bytes"] for a in data["attempts"])
        data.update(passed_max_bytes=lo, cut_min_bytes=hi, cut_estimate_bytes=(lo + hi) // 2,
                    cut_kind=large.get("kind"))
        return ProbeResult(self.name, Status.FAIL,
                           _("Requests above ~{kb} KB are cut ({passed} KB passed, {cut} KB did not: {kind})",
                             kb=(lo + hi) // 2048, passed=lo // 1024, cut=hi // 1024, kind=large.get("kind")),
                           data, _evidence(data))


def attempt(ctx: ProbeContext, cancel: CancelToken, size: int, timeout: float, stall_s: float) -> dict[str, Any]:
    """POST `size` bytes to /v1/messages without a key. Outcome: passed (an HTTP answer came back), cut (reset,
    closed or stalled while uploading or waiting), error (could not connect: not a size question)."""
    url = ctx.base_url.rstrip("/") + "/v1/messages"
    head = b'{"model":"streamdoctor-size-test","max_tokens":1,"messages":[{"role":"user","content":"'
    tail = b'"}]}'
    payload = head + b"x" * max(0, size - len(head) - len(tail)) + tail
    state = {"t": time.monotonic(), "sent": 0}
    finished = threading.Event()
    stalled: list[int] = []
    socks: list[socket.socket] = []

    def pieces() -> Iterator[bytes]:
        for i in range(0, len(payload), PIECE):
            state.update(t=time.monotonic(), sent=i)
            yield payload[i:i + PIECE]
        state.update(t=time.monotonic(), sent=len(payload))

    def connected(sock: socket.socket) -> None:
        socks.append(sock)
        state["t"] = time.monotonic()

    def watch() -> None:
        last: int | None = None
        while not finished.wait(0.1):
            queue = unsent_bytes(socks[-1]) if socks else None
            if queue is not None and (queue == 0 or queue != last):
                state["t"] = time.monotonic()
            elif queue is None and state["sent"] >= len(payload):
                return
            last = queue
            if socks and time.monotonic() - state["t"] > stall_s:
                stalled.append(int(state["sent"]))
                for s in socks:
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)
                return

    threading.Thread(target=watch, name=f"upload-watch-{size}", daemon=True).start()
    try:
        r = request(ctx, cancel, "POST", url, body=pieces(), timeout=timeout, on_socket=connected,
                    extra_headers={"content-length": str(len(payload))})
    finally:
        finished.set()
    out: dict[str, Any] = {"bytes": len(payload), "time_s": float(r.get("time_s") or 0.0),
                           "sent_bytes": int(state["sent"]), "status": r.get("status")}
    if r.get("verdict") != "error":
        out["outcome"] = "passed"
        return out
    kind = "stall" if stalled else str(r.get("kind", "error"))
    out.update(kind=kind, error=str(r.get("error", ""))[:200])
    if stalled:
        out["error"] = _("no progress for {secs:.0f} s after {kb} KB", secs=stall_s, kb=stalled[0] // 1024)
    out["outcome"] = "cut" if kind in CUT_KINDS and socks else "error"
    return out


def _evidence(data: dict[str, Any]) -> list[Evidence]:
    ev = []
    for a in data["attempts"]:
        if a["outcome"] == "passed":
            what = _("answered (HTTP {status}) in {secs:.1f} s", status=a.get("status"), secs=a["time_s"])
        else:
            what = _("{outcome}: {kind} after {secs:.1f} s ({error})", outcome=a["outcome"], kind=a.get("kind"),
                     secs=a["time_s"], error=a.get("error", ""))
        ev.append(Evidence(_("{kb} KB request", kb=a["bytes"] // 1024), what))
    ev.append(Evidence(_("Uploaded in this test"), data["sent_bytes"] // 1024, "KB"))
    return ev
