"""The watch's small measurements, each bounded: one request on a connection, the ending of a failed
connect, the verdict of a recheck after a change, and the occasional short real stream (probes/stream.py)."""

from __future__ import annotations

import logging
import select
import time
from typing import Any

from ..cancel import CancelToken
from ..probes.base import ProbeContext
from ..probes.idle import _request
from ..probes.rawtls import DROP, RESET, RawConnection, http_status

log = logging.getLogger(__name__)

STREAM_FIRST_BYTE_S, STREAM_STALL_S = 60.0, 30.0  # a short answer: longer waits mean it is not streaming


def short_stream(base_url: str, api_key: str, ca_file: str, proxy: str | None, max_tokens: int, model: str,
                 cancel: CancelToken) -> dict[str, Any] | None:
    """A short streamed answer through the SDK's own stack (the stream probe); its outcome, or None when it
    failed internally (an internal error is not a network verdict: logged, never recorded as a cut)."""
    from ..probes.stream import COMPLETED, StreamProbe

    ctx = ProbeContext(base_url=base_url, api_key=api_key, ca_file=ca_file, proxy=proxy or "",
                       max_tokens=max_tokens, first_byte_timeout_s=STREAM_FIRST_BYTE_S,
                       stall_timeout_s=STREAM_STALL_S, options={"sdk_retry_check": False})
    if model:
        ctx.model = model
    try:
        r = StreamProbe().run(ctx, lambda _p: None, cancel)
    except Exception as exc:
        log.warning("watch stream failed internally: %s", exc, exc_info=True)
        return None
    d = r.data or {}
    log.info("watch stream: %s (%s)", d.get("outcome"), r.summary)
    return {"ok": d.get("outcome") == COMPLETED, "outcome": d.get("outcome"), "http_status": d.get("http_status"),
            "total_s": d.get("total_s"), "silence_before_end_s": d.get("silence_before_end_s")}


def ending_of(exc: BaseException | None) -> str | None:
    """How a failed connect ended: refused (an RST answered the SYN), timed out (dropped), or unknown."""
    if isinstance(exc, ConnectionRefusedError | ConnectionResetError):
        return RESET
    if isinstance(exc, TimeoutError):
        return DROP
    return None


def request_once(ctx: ProbeContext, conn: RawConnection, timeout_s: float) -> dict[str, Any]:
    """One small request on a fresh connection, blocking up to timeout_s: does a new connection work now?"""
    if (ending := conn.send(_request(ctx, conn))) is not None:
        return {"ok": False, "ending": ending}
    deadline, response = time.monotonic() + timeout_s, b""
    while time.monotonic() < deadline:
        select.select([conn], [], [], min(0.5, max(0.0, deadline - time.monotonic())))
        data, ending = conn.poll()
        response += data
        if http_status(response) is not None:
            return {"ok": True, "status": http_status(response)}
        if ending is not None:
            return {"ok": False, "ending": ending}
    return {"ok": False, "ending": DROP}


def recheck_verdict(old: dict[str, Any] | None, fresh: dict[str, Any]) -> str:
    """sticky: old connections dead, new ones fine (restart the client); broken: new ones fail too;
    family:X: only address family X fails; fine: everything works."""
    ok = {k: bool(v.get("ok")) for k, v in fresh.items()}
    if not ok or not any(ok.values()):
        return "broken"
    failing = sorted(k for k, v in ok.items() if not v)
    if failing:
        return "family:" + ",".join(failing)
    if old is not None and not old.get("alive"):
        return "sticky"
    return "fine"
