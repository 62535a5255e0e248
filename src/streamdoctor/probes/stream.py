"""The stream probe: one real streaming request through the anthropic SDK, every byte timed.

It uses the user's own client stack (the SDK and its httpx2 transport with the SDK's keepalive options) but
reads the raw SSE below the SDK, so it also sees `ping` events the SDK drops and can tell how the stream ended:
completed, reset (RST), closed (FIN), stalled (silence), no first byte in time, an HTTP status, an SSE error
event, or something that is not the API at all.

A watchdog thread owns the time limits and the cancel: it shuts the socket down, which interrupts a blocked
read at once, so neither a stall nor a cancel waits for a long read timeout.
"""

from __future__ import annotations

import bisect
import errno
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..cancel import CancelToken
from ..errors import NETWORK, chain_kind
from ..i18n import N_, _
from ..model import STILL_ARRIVING_S, Evidence, ProbeResult, Status
from ..protocol.sse import FrameTooLarge, SSEParser
from .base import ProbeContext, Progress, ProgressCallback
from .proxy_choice import client_proxy, is_lab_run
from .sdk_import import load_anthropic
from .stress_plan import StressPlan, plan_for, stress_prompt

log = logging.getLogger(__name__)

MAX_SAMPLES = 5000  # arrival samples kept for charts; counters keep counting beyond this
BURST_WINDOW_S = 0.1
LUMP_GAP_S = 0.002  # an event this soon after the previous one arrived in the same lump
# Upper edges (s) of the inter-event gap histogram: constant memory however long the stream.
GAP_EDGES_S = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, float("inf"))

PROMPT = stress_prompt(600)

# Overall budgets (issue 14): whatever a server does, one streamed answer ends within these.
# Bytes: the longest stress plan asks for 32k tokens, ~5 MB of SSE; 64 MiB is >10x that and bounds memory/time
# against a server that never stops sending.
MAX_STREAM_BYTES = 64 * 1024 * 1024
# Time: the longest plan at the slowest rate we still call healthy (~30 tokens/s) takes ~18 min; 30 min caps a
# server that trickles real events for ever (pings and comments alone are caught much sooner, below).
MAX_STREAM_S = 1800.0
# Events the Messages API sends; each carries a JSON object whose "type" is the event's name.
API_EVENTS = frozenset({"message_start", "content_block_start", "content_block_delta", "content_block_stop",
                        "message_delta", "message_stop", "ping", "error"})
KEEPALIVE_EVENTS = frozenset({"ping"})  # no answer in them: a server sending only these is not answering

# What the optional second runs (HTTP/2, direct) keep: enough to compare, not the samples.
COMPARE_KEYS = ("outcome", "http_version", "via_proxy", "time_to_first_byte_s", "time_to_first_text_s", "total_s",
                "silence_before_end_s", "max_gap_s", "bytes", "text_events", "pings", "tokens_per_s", "detail")

_TCP_CLOSE, _TCP_CLOSE_WAIT = 7, 8  # Linux TCP states (include/net/tcp_states.h)

# How a stream ended. Diagnosis rules key on these strings; they are part of the report schema.
COMPLETED = "completed"
RESET = "reset"
CLOSED = "closed"
STALLED = "stalled"
FIRST_BYTE_TIMEOUT = "first_byte_timeout"
HTTP_ERROR = "http_error"
SSE_ERROR = "sse_error"
NOT_API = "not_api"
CONNECT_FAILED = "connect_failed"
CANCELLED = "cancelled"
KEEPALIVE_ONLY = "keepalive_only"  # bytes kept coming, but only pings or SSE comments, for the whole limit
BAD_DATA = "bad_data"  # the server sent data that is not the Messages API (not JSON, not UTF-8, no end of line)
BUDGET_EXCEEDED = "budget_exceeded"  # MAX_STREAM_BYTES or MAX_STREAM_S reached: stopped on purpose


@dataclass
class _Timeline:
    """What arrived when. Times are seconds since the request was sent."""

    t_headers: float | None = None
    t_first_byte: float | None = None
    t_first_text: float | None = None
    t_last_byte: float | None = None
    bytes_total: int = 0
    events: dict[str, int] = field(default_factory=dict)
    text_chars: int = 0
    max_gap_s: float = 0.0
    samples: list[tuple[float, int, str]] = field(default_factory=list)
    gap_counts: list[int] = field(default_factory=lambda: [0] * len(GAP_EDGES_S))
    t_last_event: float | None = None
    lumped_events: int = 0
    chunks: list[tuple[float, int]] = field(default_factory=list)
    sse_error: dict[str, Any] | None = None
    stop_reason: str = ""
    t_last_payload: float | None = None  # the last event that was not a keep-alive
    bad_data: str = ""  # the first thing that was not the Messages API

    def check_event(self, event: str, data: str) -> None:
        """Note (once) an event that the Messages API would never send: data that is not a JSON object, or a
        known event whose "type" is not its own name."""
        if self.bad_data:
            return
        try:
            obj = json.loads(data) if data else None
        except ValueError:
            self.bad_data = _("event '{event}' carries data that is not JSON: {data}", event=event[:40],
                              data=repr(data[:60]))
            return
        if not isinstance(obj, dict):
            self.bad_data = _("event '{event}' carries {type} data, not a JSON object", event=event[:40],
                              type=type(obj).__name__)
        elif event in API_EVENTS and obj.get("type") != event:
            self.bad_data = _("event '{event}' carries type {type}", event=event[:40],
                              type=repr(str(obj.get("type"))[:40]))

    def on_bytes(self, t: float, n: int) -> None:
        if self.t_first_byte is None:
            self.t_first_byte = t
        if self.t_last_byte is not None:
            self.max_gap_s = max(self.max_gap_s, t - self.t_last_byte)
        self.t_last_byte = t
        self.bytes_total += n
        if len(self.chunks) < MAX_SAMPLES:
            self.chunks.append((t, n))

    def on_event(self, t: float, event: str, data: str) -> None:
        self.events[event] = self.events.get(event, 0) + 1
        if event not in KEEPALIVE_EVENTS:
            self.t_last_payload = t
        self.check_event(event, data)
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append((round(t, 4), len(data), event))
        if self.t_last_event is not None:
            gap = t - self.t_last_event
            self.gap_counts[bisect.bisect_left(GAP_EDGES_S, gap)] += 1
            if gap < LUMP_GAP_S:
                self.lumped_events += 1
        self.t_last_event = t
        if event == "content_block_delta":
            if self.t_first_text is None:
                self.t_first_text = t
            try:
                self.text_chars += len(json.loads(data).get("delta", {}).get("text", ""))
            except (ValueError, AttributeError):
                pass
        elif event == "error":
            try:
                self.sse_error = json.loads(data).get("error", {})
            except ValueError:
                self.sse_error = {"type": "unknown", "message": data[:200]}
        elif event == "message_delta":
            try:
                self.stop_reason = json.loads(data).get("delta", {}).get("stop_reason") or ""
            except ValueError:
                pass

    def largest_burst_share(self) -> float:
        """Largest share of body bytes that arrived within any BURST_WINDOW_S window (1.0: all in one lump)."""
        if not self.chunks or self.bytes_total == 0:
            return 0.0
        best, lo, acc = 0, 0, 0
        for t, n in self.chunks:
            acc += n
            while self.chunks[lo][0] < t - BURST_WINDOW_S:
                acc -= self.chunks[lo][1]
                lo += 1
            best = max(best, acc)
        return best / self.bytes_total


class _Watchdog:
    """Closes the connection when the first byte is late, the stream stalls, or the user cancels."""

    def __init__(self, ctx: ProbeContext, cancel: CancelToken, timeline: _Timeline, t0: float) -> None:
        self.ctx, self.cancel, self.timeline, self.t0 = ctx, cancel, timeline, t0
        self.reason = ""
        self.sock: socket.socket | None = None
        self.peer_ending: str | None = None  # what the kernel saw when the read failed: reset / fin
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stream-watchdog", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()

    def _run(self) -> None:
        while not self._done.wait(0.05):
            now = time.monotonic() - self.t0
            if self.cancel.cancelled:
                self._trip(CANCELLED)
            elif self.timeline.t_first_byte is None and now > self.ctx.first_byte_timeout_s:
                self._trip(FIRST_BYTE_TIMEOUT)
            elif self.timeline.t_last_byte is not None and now - self.timeline.t_last_byte > self.ctx.stall_timeout_s:
                self._trip(STALLED)
            elif self._keepalive_only(now):
                self._trip(KEEPALIVE_ONLY)
            elif now > float(self.ctx.options.get("stream_max_s", MAX_STREAM_S)):
                self._trip(BUDGET_EXCEEDED)
            if self.reason:
                return

    def _keepalive_only(self, now: float) -> bool:
        """Bytes keep arriving but no answer: only pings or comments since the headers (or the last real event)
        for longer than a silent first byte or a stall would be allowed (whichever limit is longer)."""
        tl = self.timeline
        if tl.t_headers is None or tl.t_last_byte is None:
            return False
        since = tl.t_last_payload if tl.t_last_payload is not None else tl.t_headers
        return now - since > max(self.ctx.first_byte_timeout_s, self.ctx.stall_timeout_s)

    def _trip(self, reason: str) -> None:
        self.reason = reason
        sock = self.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the reader blocked in recv(); close() alone may not
            except OSError:
                pass


class StreamProbe:
    name = "stream"
    title = N_("Streaming answer")
    needs: tuple[str, ...] = ()
    quick = False  # the stress test costs tokens and time: `check --quick` leaves it out

    def run(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult:
        if not ctx.api_key:
            return ProbeResult(
                self.name, Status.SKIPPED,
                _("No API key: the streaming test needs one (the key-free checks still ran)."),
            )
        size = str(ctx.options.get("stress_size") or "")
        plan = plan_for(ctx.model, size) if size else plan_for(ctx.model, "quick", ctx.max_tokens)
        result_data = self._stream_once(ctx, progress, cancel, plan)
        outcome, http_status = result_data["outcome"], result_data["http_status"]
        result_data["plan"] = plan.as_dict()
        if ctx.options.get("stress_compare") and outcome != CANCELLED:
            result_data["compare"] = self._compare(ctx, progress, cancel, plan)
        if ctx.options.get("sdk_retry_check", True) and outcome != CANCELLED:
            from .sdk_retry import check_midstream_retry

            result_data["sdk_retry"] = check_midstream_retry(ctx.reference_server, cancel)
        status = _status(outcome)
        summary = _summary(outcome, result_data)
        if outcome == HTTP_ERROR and http_status in (401, 403):
            # A refused key means we could not test, not that the network is broken.
            status = Status.ERROR
            summary = _("The API key was refused (HTTP {status}): check ANTHROPIC_API_KEY or the key you entered, "
                        "then run the check again", status=http_status)
        return ProbeResult(self.name, status, summary, result_data, _evidence(result_data))

    def _compare(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken,
                 plan: StressPlan) -> dict[str, Any]:
        """The optional second runs: over HTTP/2, and directly when the first run went through a proxy."""
        variants: dict[str, dict[str, bool]] = {"http2": {"http2": True}}
        if client_proxy(ctx):
            variants["direct"] = {"direct": True}
        out: dict[str, Any] = {}
        for name, variant in variants.items():
            if cancel.cancelled:
                break
            d = self._stream_once(ctx, progress, cancel, plan, **variant)
            out[name] = {k: d.get(k) for k in COMPARE_KEYS}
        return out

    def _stream_once(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken, plan: StressPlan,
                     http2: bool = False, direct: bool = False) -> dict[str, Any]:
        """One streamed answer, every byte timed; returns the result data (without the plan and retry check)."""
        anthropic = load_anthropic()  # deferred and thread-safe: the SDK is a heavy import

        max_tokens = plan.max_tokens
        timeline = _Timeline()
        t0 = time.monotonic()
        watchdog = _Watchdog(ctx, cancel, timeline, t0)

        def trace(event: str, info: dict[str, Any]) -> None:
            if event.endswith(".failed") and watchdog.sock is not None and watchdog.peer_ending is None:
                # Called before the transport closes the socket: over TLS an RST looks like an EOF to the
                # ssl module, but the kernel's TCP state still tells a reset from a FIN.
                watchdog.peer_ending = tcp_peer_ending(watchdog.sock)
            if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
                stream = info.get("return_value")
                sock = stream.get_extra_info("socket") if stream is not None else None
                if sock is not None:
                    watchdog.sock = sock

        def add_trace(request: Any) -> None:
            request.extensions["trace"] = trace

        verify: Any = True
        if ctx.ca_file:
            import ssl

            verify = ssl.create_default_context(cafile=ctx.ca_file)
        extra: dict[str, Any] = {"http2": True} if http2 else {}
        if direct or is_lab_run(ctx):
            extra["trust_env"] = False  # no proxy from the environment: straight to the API (or the lab)
        http_client = anthropic.DefaultHttpxClient(verify=verify, event_hooks={"request": [add_trace]}, **extra)
        read_limit = max(ctx.first_byte_timeout_s, ctx.stall_timeout_s) + 5  # the watchdog acts first
        client = anthropic.Anthropic(
            api_key=ctx.api_key,
            base_url=ctx.base_url,
            max_retries=0,  # we want to see every failure, not the SDK's retry of it
            timeout=anthropic.Timeout(read_limit, connect=ctx.connect_timeout_s),
            http_client=http_client,
        )
        outcome, detail, request_id, content_type = "", "", "", ""
        http_status = 0
        http_version = ""
        api_error: dict[str, Any] = {}
        exc_chain: list[str] = []
        watchdog.start()
        parser = SSEParser()
        last_progress = 0.0
        try:
            with client.messages.with_streaming_response.create(
                model=ctx.model,
                max_tokens=max_tokens,
                messages=[{"role": "user", "content": plan.prompt}],
                stream=True,
            ) as response:
                timeline.t_headers = time.monotonic() - t0
                http_status = response.http_response.status_code
                http_version = response.http_response.http_version
                request_id = response.http_response.headers.get("request-id", "")
                content_type = response.http_response.headers.get("content-type", "")
                max_bytes = int(ctx.options.get("stream_max_bytes", MAX_STREAM_BYTES))
                for chunk in response.http_response.iter_bytes():
                    t = time.monotonic() - t0
                    timeline.on_bytes(t, len(chunk))
                    events = parser.feed(chunk)
                    if parser.invalid_utf8 and not timeline.bad_data:
                        timeline.bad_data = _("an event that is not valid UTF-8")
                    for event, data in events:
                        timeline.on_event(t, event, data)
                    if timeline.bad_data:
                        break
                    if timeline.bytes_total > max_bytes:
                        watchdog.reason = BUDGET_EXCEEDED
                        break
                    if t - last_progress >= 0.05:
                        last_progress = t
                        progress(Progress(self.name, None, _live_line(timeline, t), _live_data(timeline, t)))
            # The watchdog's shutdown can end a close-delimited body cleanly: its reason, not "closed", is the end.
            outcome = (BAD_DATA if timeline.bad_data else
                       watchdog.reason if watchdog.reason in (BUDGET_EXCEEDED, KEEPALIVE_ONLY, STALLED,
                                                              FIRST_BYTE_TIMEOUT, CANCELLED) else
                       _ending_of_complete_body(timeline, content_type))
        except FrameTooLarge as exc:
            outcome, timeline.bad_data = BAD_DATA, _("a line that never ends ({error})", error=str(exc))
        except anthropic.APIStatusError as exc:
            outcome, http_status = HTTP_ERROR, exc.status_code
            request_id = exc.response.headers.get("request-id", "")
            body = exc.body if isinstance(exc.body, dict) else {}
            api_error = body.get("error", body) if isinstance(body, dict) else {}
            detail = str(exc)[:300]
            retry_after = exc.response.headers.get("retry-after", "")
            if retry_after:
                api_error = {**api_error, "retry_after": retry_after}
        except Exception as exc:  # transport failures: classify by what the watchdog did and the cause chain
            if chain_kind(exc) != NETWORK and not watchdog.reason:
                raise  # our own bug (or an unusable client setting) is never worded as a cut stream
            exc_chain = _chain(exc)
            detail = f"{type(exc).__name__}: {exc}"[:300]
            outcome = (BAD_DATA if timeline.bad_data else
                       _classify_transport_failure(watchdog.reason, exc_chain, timeline, ctx.is_tls))
            if outcome == CLOSED and watchdog.peer_ending == RESET:
                outcome = RESET
        finally:
            watchdog.stop()
            client.close()
        if watchdog.reason == CANCELLED or (cancel.cancelled and outcome != COMPLETED):
            outcome = CANCELLED

        total = time.monotonic() - t0
        result_data = _result_data(timeline, total, outcome, http_status, api_error, request_id, content_type,
                                   detail, exc_chain, max_tokens, ctx)
        result_data["http_version"] = http_version
        result_data["bad_data"] = timeline.bad_data
        if outcome == BAD_DATA and not detail:
            result_data["detail"] = timeline.bad_data
        result_data["via_proxy"] = None if direct else client_proxy(ctx) is not None
        progress(Progress(self.name, 1.0, _live_line(timeline, total), _live_data(timeline, total)))
        return result_data


def _ending_of_complete_body(timeline: _Timeline, content_type: str) -> str:
    if timeline.sse_error is not None:
        return SSE_ERROR
    if "text/event-stream" not in content_type or not timeline.events:
        return NOT_API
    if timeline.events.get("message_stop"):
        return COMPLETED
    return CLOSED  # the body ended (chunked terminator or close) without message_stop


def tcp_peer_ending(sock: socket.socket) -> str | None:
    """RESET if the peer reset `sock`, CLOSED if it sent a FIN first, None if open or unknown.

    Linux only: TCP_INFO's first byte is the TCP state: CLOSE_WAIT after a FIN, CLOSE after an RST. A FIN is
    often followed by an RST too (the TLS layer answers the FIN with an alert into the closed socket); the kernel
    then records EPIPE instead of ECONNRESET (tcp_reset() in CLOSE_WAIT), which SO_ERROR still shows."""
    tcp_info = getattr(socket, "TCP_INFO", None)
    if tcp_info is None:
        return None
    try:
        state = sock.getsockopt(socket.IPPROTO_TCP, tcp_info, 8)[0]
        pending = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    except (OSError, ValueError):
        return None
    if state == _TCP_CLOSE_WAIT or (state == _TCP_CLOSE and pending == errno.EPIPE):
        return CLOSED
    return RESET if state == _TCP_CLOSE else None


def _classify_transport_failure(reason: str, chain: list[str], timeline: _Timeline, tls: bool) -> str:
    if reason in (STALLED, FIRST_BYTE_TIMEOUT, CANCELLED, KEEPALIVE_ONLY, BUDGET_EXCEEDED):
        return reason
    names = " ".join(chain)
    if "ConnectionResetError" in names or "ReadError" in names and "Reset" in names:
        return RESET
    if timeline.t_headers is None:
        if "Timeout" in names:
            return FIRST_BYTE_TIMEOUT if "Read" in names else CONNECT_FAILED
        if "RemoteProtocolError" in names and timeline.t_first_byte is None:
            return CLOSED  # the server or a box closed before answering
        return CONNECT_FAILED
    if "ReadTimeout" in names:
        return STALLED
    if "ReadError" in names:
        return RESET
    return CLOSED


def _chain(exc: BaseException) -> list[str]:
    """Type names and messages along __cause__/__context__, for classification and the raw evidence."""
    out: list[str] = []
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen and len(out) < 8:
        seen.add(id(cur))
        out.append(f"{type(cur).__name__}: {cur}"[:200])
        cur = cur.__cause__ or cur.__context__
    return out


def _result_data(
    tl: _Timeline, total: float, outcome: str, http_status: int, api_error: dict[str, Any], request_id: str,
    content_type: str, detail: str, chain: list[str], max_tokens: int, ctx: ProbeContext,
) -> dict[str, Any]:
    end = tl.t_last_byte if tl.t_last_byte is not None else (tl.t_headers or 0.0)
    return {
        "outcome": outcome,
        "http_status": http_status,
        "api_error": api_error,
        "request_id": request_id,
        "content_type": content_type,
        "model": ctx.model,
        "max_tokens": max_tokens,
        "time_to_headers_s": tl.t_headers,
        "time_to_first_byte_s": tl.t_first_byte,
        "time_to_first_text_s": tl.t_first_text,
        "time_to_last_byte_s": tl.t_last_byte,
        "total_s": total,
        "silence_before_end_s": max(0.0, total - end) if outcome not in (COMPLETED, HTTP_ERROR) else 0.0,
        "keepalive_only_s": total - (tl.t_last_payload if tl.t_last_payload is not None else (tl.t_headers or 0.0)),
        "max_gap_s": tl.max_gap_s,
        "bytes": tl.bytes_total,
        "events": dict(tl.events),
        "pings": tl.events.get("ping", 0),
        "text_events": tl.events.get("content_block_delta", 0),
        "text_chars": tl.text_chars,
        "largest_burst_share": round(tl.largest_burst_share(), 4),
        "stop_reason": tl.stop_reason,
        "sse_error": tl.sse_error,
        "gap_histogram": {("inf" if edge == float("inf") else f"{edge:g}"): n
                          for edge, n in zip(GAP_EDGES_S, tl.gap_counts, strict=True)},
        "lumped_share": round(tl.lumped_events / max(1, sum(tl.events.values()) - 1), 4),
        "tokens_per_s": round(_rate(tl.events.get("content_block_delta", 0), tl.t_first_text, tl.t_last_byte), 3),
        "bytes_per_s": round(_rate(tl.bytes_total, tl.t_first_byte, tl.t_last_byte), 1),
        "detail": detail,
        "exception_chain": chain,
        "samples": tl.samples,
        "limits": {
            "first_byte_timeout_s": ctx.first_byte_timeout_s,
            "stall_timeout_s": ctx.stall_timeout_s,
            "connect_timeout_s": ctx.connect_timeout_s,
            "slow_first_byte_s": float(ctx.options.get("slow_first_byte_s", 10.0)),
        },
    }


def _rate(count: int, start: float | None, end: float | None) -> float:
    if start is None or end is None or end <= start:
        return 0.0
    return count / (end - start)


def _status(outcome: str) -> Status:
    if outcome == COMPLETED:
        return Status.OK
    if outcome in (CONNECT_FAILED, NOT_API, BAD_DATA, BUDGET_EXCEEDED):
        return Status.ERROR
    if outcome == CANCELLED:
        return Status.CANCELLED
    return Status.FAIL


def _summary(outcome: str, d: dict[str, Any]) -> str:
    t = d["total_s"]
    # Only the outcome's own sentence is made (lazily), so the others never read keys they do not need.
    words: dict[str, Callable[[], str]] = {
        COMPLETED: lambda: _("Completed: {events} text events, {bytes} bytes in {secs:.1f} s",
                             events=d["text_events"], bytes=d["bytes"], secs=t),
        RESET: lambda: (_("Connection reset after {secs:.1f} s ({silence:.1f} s after the last byte)", secs=t,
                          silence=d["silence_before_end_s"])
                        if d["silence_before_end_s"] >= STILL_ARRIVING_S else
                        _("Connection reset after {secs:.1f} s, while data was still arriving", secs=t)),
        KEEPALIVE_ONLY: lambda: _("The server sent only keep-alives (pings or comments) for {secs:.0f} s, no "
                                  "answer: stopped", secs=d["keepalive_only_s"]),
        BAD_DATA: lambda: _("The server sent data that is not the Messages API: {what}",
                            what=str(d.get("bad_data") or d["detail"])[:240]),
        BUDGET_EXCEEDED: lambda: _("Stopped at the test's budget ({bytes} bytes, {secs:.0f} s): budget exceeded, "
                                   "the answer did not end", bytes=d["bytes"], secs=t),
        CLOSED: lambda: _("Connection closed before the answer ended, after {secs:.1f} s", secs=t),
        STALLED: lambda: _("Stalled: nothing arrived for {secs:.1f} s", secs=d["silence_before_end_s"]),
        FIRST_BYTE_TIMEOUT: lambda: _("No first byte within {secs:.0f} s",
                                      secs=d["limits"]["first_byte_timeout_s"]),
        HTTP_ERROR: lambda: f"HTTP {d['http_status']} {d['api_error'].get('type', '')}".strip(),
        SSE_ERROR: lambda: _("The API sent an error event mid-stream: {type}",
                             type=(d["sse_error"] or {}).get("type", "")),
        NOT_API: lambda: _("The server answered with {content_type}, not the API's event stream: check that the "
                           "URL is the Anthropic API or a gateway to it",
                           content_type=d["content_type"] or _("no content type")),
        CONNECT_FAILED: lambda: _("Could not connect: {reason}", reason=d["detail"]),
        CANCELLED: lambda: _("Cancelled"),
    }
    make = words.get(outcome)
    return make() if make is not None else outcome


def _evidence(d: dict[str, Any]) -> list[Evidence]:
    ev = [Evidence(_("How the stream ended"), d["outcome"])]
    for key, label in (
        ("time_to_first_byte_s", N_("Time to first byte")),
        ("time_to_first_text_s", N_("Time to first token")),
        ("total_s", N_("Duration")),
        ("max_gap_s", N_("Longest silence between bytes")),
    ):
        if d.get(key) is not None:
            ev.append(Evidence(_(label), round(float(d[key]), 3), "s"))
    ev.append(Evidence(_("Bytes received"), d["bytes"], "B"))
    ev.append(Evidence(_("SSE events"), sum(d["events"].values()), "", json.dumps(d["events"])))
    if d["http_status"]:
        ev.append(Evidence(_("HTTP status"), d["http_status"]))
    if d["request_id"]:
        ev.append(Evidence(_("Request id"), d["request_id"]))
    if d["exception_chain"]:
        ev.append(Evidence(_("Error"), d["exception_chain"][0], "", "\n".join(d["exception_chain"])))
    return ev


def _live_line(tl: _Timeline, t: float) -> str:
    since = t - tl.t_last_byte if tl.t_last_byte is not None else t
    return _("{bytes} B, {tokens} tokens, last byte {secs:.1f} s ago", bytes=tl.bytes_total,
             tokens=tl.events.get("content_block_delta", 0), secs=since)


def _live_data(tl: _Timeline, t: float) -> dict[str, Any]:
    tokens = tl.events.get("content_block_delta", 0)
    rate = tokens / (t - tl.t_first_text) if tl.t_first_text is not None and t > tl.t_first_text else 0.0
    return {"kind": "stream", "elapsed_s": t, "bytes": tl.bytes_total, "tokens": tokens, "tokens_per_s": rate,
            "pings": tl.events.get("ping", 0), "max_gap_s": tl.max_gap_s,
            "since_last_byte_s": t - tl.t_last_byte if tl.t_last_byte is not None else t}
