"""Rules over the stream probe: how the streamed answer ended, and what that says about the path."""

from __future__ import annotations

from typing import Any

from .. import claude_versions as cv
from ..claude_advice import ClaudeCodeHere, first_byte_variable, from_clients
from ..diagnosis import Results, rule
from ..model import Confidence, Evidence, Finding, Severity, Status
from ..probes import stream as sp
from .idle import idle_cut

# Below this much silence before the cut, data was still flowing: the cut is not an idle timeout.
IDLE_SILENCE_MIN_S = 1.0
BUFFER_SHARE_MIN = 0.8
BUFFER_EVENTS_MIN = 20


def _stream(results: Results) -> dict[str, Any] | None:
    r = results.get("stream")
    if r is None or r.status in (Status.SKIPPED, Status.CANCELLED) or not r.data:
        return None
    return r.data


def _ev(d: dict[str, Any], *keys: str) -> list[Evidence]:
    labels = {
        "silence_before_end_s": ("Silence before the cut", "s"),
        "total_s": ("Time until the stream ended", "s"),
        "bytes": ("Bytes received before the end", "B"),
        "time_to_first_byte_s": ("Time to first byte", "s"),
        "largest_burst_share": ("Share of bytes in one 0.1 s burst", ""),
        "text_events": ("Text events", ""),
        "http_status": ("HTTP status", ""),
        "request_id": ("Request id", ""),
        "outcome": ("How the stream ended", ""),
    }
    out = []
    for k in keys:
        if d.get(k) is not None:
            label, unit = labels[k]
            value = round(d[k], 2) if isinstance(d[k], float) else d[k]
            out.append(Evidence(label, value, unit))
    if d.get("exception_chain"):
        out.append(Evidence("Error seen by the client", d["exception_chain"][0], "", "\n".join(d["exception_chain"])))
    return out


@rule("stream.cut")
def stream_cut(results: Results) -> Finding | None:
    """A reset or close: idle (the box timed out a silent connection) or mid-flow (something cut live data)."""
    d = _stream(results)
    if d is None or d["outcome"] not in (sp.RESET, sp.CLOSED):
        return None
    silence = float(d["silence_before_end_s"])
    idle = silence >= IDLE_SILENCE_MIN_S
    if idle and idle_cut(results) is not None:
        return None  # the idle test measured this cut precisely; its finding quotes this stream as evidence
    evidence = _ev(d, "outcome", "silence_before_end_s", "total_s", "bytes")
    if d["outcome"] == sp.RESET and idle:
        return Finding(
            "stream.cut", "idle-reset", Severity.PROBLEM, Confidence.HIGH,
            "Silent connections are reset",
            f"Your network cuts connections that are silent for about {silence:.0f} s: the answer was "
            f"reset after {silence:.1f} s without a byte, while Claude was still thinking.",
            evidence, ["sdk-snippet"],
            ask_it=(f"A device on our network (firewall, NAT or VPN) sends TCP resets on connections to the "
                    f"Anthropic API after about {silence:.0f} s of silence. Please raise the idle timeout for "
                    "api.anthropic.com:443 to at least 600 s."),
            failure_mode=1,
        )
    if d["outcome"] == sp.CLOSED and idle:
        return Finding(
            "stream.cut", "idle-close", Severity.PROBLEM, Confidence.MEDIUM,
            "Silent connections are closed",
            f"Something on your network closes connections that are silent for about {silence:.0f} s: the "
            f"answer was closed after {silence:.1f} s without a byte. A proxy usually does this; TCP "
            "keepalive does not help against it, only a longer idle timeout does.",
            evidence, [],
            ask_it=(f"A proxy on our network closes connections to the Anthropic API after about {silence:.0f} s "
                    "without data. Please raise its idle/read timeout for api.anthropic.com to at least 600 s, "
                    "or exempt the host from the proxy."),
            failure_mode=2,
        )
    kb = d["bytes"] / 1024
    kind = "reset" if d["outcome"] == sp.RESET else "closed"
    return Finding(
        "stream.cut", f"midstream-{'reset' if kind == 'reset' else 'close'}", Severity.PROBLEM, Confidence.MEDIUM,
        f"The answer was {kind} while data was flowing",
        f"The connection was {kind} {kb:.1f} KB into the answer, after {d['total_s']:.1f} s, while data was "
        "still arriving. Something on the path (antivirus, a DPI firewall, a VPN) is cutting live streams.",
        evidence, [],
        ask_it=("Connections to api.anthropic.com are cut mid-transfer while data is flowing. Please check the "
                "firewall/DPI or endpoint security logs for this laptop and exempt api.anthropic.com."),
        failure_mode=1,
    )


@rule("stream.stall")
def stream_stall(results: Results) -> Finding | None:
    d = _stream(results)
    if d is None or d["outcome"] != sp.STALLED or idle_cut(results) is not None:
        return None
    silence = float(d["silence_before_end_s"])
    return Finding(
        "stream.stall", "silent-stall", Severity.PROBLEM, Confidence.MEDIUM,
        "The answer stopped arriving",
        f"The answer stopped arriving: nothing came for {silence:.0f} s and the connection never closed. "
        "A firewall that drops silent connections without telling anyone does this; the idle test measures "
        "after how long.",
        _ev(d, "outcome", "silence_before_end_s", "total_s", "bytes"), ["sdk-snippet"],
        ask_it=("Connections to api.anthropic.com stop receiving data and hang when they are silent for a while "
                "(a silent drop, no reset). Please raise the idle timeout for api.anthropic.com:443 to 600 s."),
        failure_mode=1,
    )


@rule("stream.data")
def stream_not_the_api(results: Results) -> Finding | None:
    """Data the Messages API never sends (not JSON, not UTF-8, a line without end), or only keep-alives: the
    server at the URL (a gateway, a proxy's page) is at fault as far as we measured, never "the network"."""
    d = _stream(results)
    if d is None or d["outcome"] not in (sp.BAD_DATA, sp.KEEPALIVE_ONLY):
        return None
    if d["outcome"] == sp.KEEPALIVE_ONLY:
        secs = float(d.get("keepalive_only_s") or 0.0)
        return Finding(
            "stream.data", "keepalive-only", Severity.PROBLEM, Confidence.MEDIUM,
            "The server sent only keep-alives",
            f"The server sent only keep-alives (pings or SSE comments) for {secs:.0f} s and no answer, so the "
            "test stopped. The API sends the answer's events within seconds; a gateway or proxy that holds the "
            "answer back while it keeps the connection open looks like this.",
            _ev(d, "outcome", "total_s", "bytes"), [],
            ask_it=(f"Streaming requests to api.anthropic.com through our gateway/proxy receive only keep-alive "
                    f"events for {secs:.0f} s and never the answer. Please check whether it holds or buffers "
                    "streamed answers (text/event-stream)."),
            failure_mode=3,
        )
    what = str(d.get("bad_data") or d.get("detail") or "")[:200]
    return Finding(
        "stream.data", "not-messages-api", Severity.PROBLEM, Confidence.HIGH,
        "The server sent data that is not the Messages API",
        f"The server at this URL sent data that is not the Messages API ({what}). Anthropic's API never sends "
        "this; the URL may point at something else, or a gateway in between rewrites the stream.",
        _ev(d, "outcome", "total_s", "bytes"), [],
        ask_it=(f"Streaming answers from the API endpoint we use arrive altered ({what}). Please check the "
                "gateway or proxy in front of api.anthropic.com."),
        failure_mode=0,
    )


@rule("stream.buffering")
def stream_buffering(results: Results) -> Finding | None:
    d = _stream(results)
    if d is None or d["outcome"] != sp.COMPLETED:
        return None
    if d["largest_burst_share"] < BUFFER_SHARE_MIN or d["text_events"] < BUFFER_EVENTS_MIN:
        return None
    if (d.get("time_to_last_byte_s") or 0.0) < 1.0:
        return None  # a short, fast answer arrives in one burst anyway
    share = d["largest_burst_share"] * 100
    return Finding(
        "stream.buffering", "buffering", Severity.PROBLEM, Confidence.HIGH,
        "A proxy holds the answer back",
        f"{share:.0f} % of the answer arrived in one lump after {d['time_to_last_byte_s']:.1f} s instead of word "
        "by word: a proxy on the way buffers the stream. Long answers then time out before anything arrives.",
        _ev(d, "largest_burst_share", "text_events", "time_to_first_byte_s", "total_s"), ["nginx-streaming"],
        ask_it=("A reverse proxy in front of the Anthropic API buffers server-sent events. For nginx: "
                "proxy_buffering off; proxy_cache off; gzip off (gzip on text/event-stream also holds a stream back); "
                "proxy_read_timeout 600s; or send X-Accel-Buffering: no."),
        failure_mode=3,
    )


@rule("stream.first-byte")
def stream_first_byte(results: Results) -> Finding | None:
    d = _stream(results)
    if d is None:
        return None
    limits = d.get("limits", {})
    if d["outcome"] == sp.FIRST_BYTE_TIMEOUT:
        limit = limits.get("first_byte_timeout_s", 0)
        return Finding(
            "stream.first-byte", "first-byte-timeout", Severity.PROBLEM, Confidence.MEDIUM,
            "No answer started in time",
            f"No byte of the answer arrived within {limit:.0f} s. Clients give up with a timeout when the first "
            "byte takes longer than their limit.",
            _ev(d, "outcome", "total_s"), ["claude-code-timeouts", "sdk-snippet"],
            failure_mode=9,
        )
    if stream_buffering(results) is not None:
        return None  # a buffering proxy holds the first byte too; that finding already explains it
    ttfb = d.get("time_to_first_byte_s")
    threshold = float(limits.get("slow_first_byte_s", 10.0))
    if ttfb is None or ttfb < threshold:
        return None
    # The user's own limits, where the environment scan found them: a first byte later than one of them is
    # a timeout error in that client.
    too_short = [(name, s) for name, s in first_byte_limits(results) if s <= ttfb * 1.5]
    mine = ""
    if too_short:
        name, limit = too_short[0]
        mine = (f" Claude Code here gives up after {limit:.0f} s ({name}), too close to this: raise it.")
    return Finding(
        "stream.first-byte", "slow-first-byte", Severity.PROBLEM if too_short else Severity.WARNING,
        Confidence.MEDIUM, "Answers are slow to start",
        f"The first byte of the answer took {ttfb:.1f} s. Clients with a shorter first-byte or request timeout "
        f"(in Claude Code {first_byte_variable(_claude_code(results))}, a custom SDK timeout) report a timeout, "
        "not a reset." + mine,
        _ev(d, "time_to_first_byte_s", "total_s"), ["claude-code-timeouts", "sdk-snippet"],
        failure_mode=9,
    )


def first_byte_limits(results: Results) -> list[tuple[str, float]]:
    """Claude Code's first-byte and request limits (seconds) from the environment scan, if it found any."""
    r = results.get("env.clients")
    cc = r.data.get("claude_code") if r is not None and isinstance(r.data, dict) else None
    env = cc.get("env") if isinstance(cc, dict) and cc.get("installed") else None
    out = []
    version = (_claude_code(results) or ClaudeCodeHere(False, None)).version
    for name in ("CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS", "API_TIMEOUT_MS"):
        if cv.reads(name, version) is False:
            continue  # set, but this version does not read it: it limits nothing (issue 17)
        try:
            out.append((name, float(env[name]) / 1000))  # type: ignore[index]
        except (KeyError, TypeError, ValueError):
            continue
    return out


@rule("stream.server")
def stream_server_side(results: Results) -> Finding | None:
    """429, 529 and mid-stream error events come from the API, not the network: say so plainly."""
    d = _stream(results)
    if d is None:
        return None
    if d["outcome"] == sp.SSE_ERROR:
        err = d.get("sse_error") or {}
        return Finding(
            "stream.server", "sse-error", Severity.WARNING, Confidence.HIGH,
            "The API reported an error mid-answer",
            f"The API itself stopped the answer with an error event ({err.get('type', 'error')}: "
            f"{err.get('message', '')}). This is not your network: retry after a short wait.",
            _ev(d, "outcome", "total_s", "request_id"), ["sdk-snippet"], failure_mode=12,
        )
    if d["outcome"] != sp.HTTP_ERROR or d["http_status"] in (401, 403):
        return None
    status = d["http_status"]
    retry_after = (d.get("api_error") or {}).get("retry_after", "")
    wait = f" The API asked to wait {retry_after} s." if retry_after else ""
    if status == 429:
        cause, title, plain = (
            "rate-limited", "Too many requests (429)",
            f"The API answered 429 Too Many Requests: your organisation's rate limit was reached.{wait} This "
            "is not your network; retry with backoff or ask your Claude admin about limits.",
        )
    elif status == 529 or (d.get("api_error") or {}).get("type") == "overloaded_error":
        cause, title, plain = (
            "overloaded", "The API is overloaded (529)",
            f"The API answered 529 Overloaded: it is busy right now.{wait} This is not your network; retry "
            "after a short wait.",
        )
    else:
        cause, title, plain = (
            "http-error", f"The API answered HTTP {status}",
            f"The request failed with HTTP {status}. If this repeats, the bundle's request id helps support.",
        )
    return Finding("stream.server", cause, Severity.WARNING, Confidence.HIGH, title, plain,
                   _ev(d, "http_status", "request_id"), ["sdk-snippet"], failure_mode=12)


@rule("stream.resume")
def stream_resume(results: Results) -> Finding | None:
    """When streams are being cut, say whether the installed SDK would recover by itself (it does not)."""
    r = results.get("stream")
    if r is None or not r.data:
        return None
    check = r.data.get("sdk_retry") or {}
    if check.get("retried") is not False:
        return None
    cut = r.data.get("outcome") in (sp.RESET, sp.CLOSED, sp.STALLED) or idle_cut(results) is not None
    if not cut:
        return None
    return Finding(
        "stream.resume", "sdk-no-resume", Severity.INFO, Confidence.HIGH,
        "The SDK does not resume a cut answer",
        f"The anthropic SDK {check.get('sdk_version', '')} installed here does not retry an answer that is cut "
        f"after it started: against a simulated reset it made {check.get('streams_started', 1)} request and "
        f"raised {str(check.get('error', '')).split(':')[0]}. Scripts must catch that and resume; the SDK "
        "snippet does it for you.",
        [Evidence("SDK version", check.get("sdk_version", "")),
         Evidence("Streams the SDK started for one cut answer", check.get("streams_started", 0)),
         Evidence("Error the caller sees", check.get("error", ""))],
        ["sdk-snippet"], failure_mode=1,
    )


@rule("stream.compare")
def stream_compare(results: Results) -> Finding | None:
    """The optional direct run: cut through the proxy but whole without it means the proxy cuts."""
    r = results.get("stream")
    if r is None or not r.data:
        return None
    direct = (r.data.get("compare") or {}).get("direct") or {}
    if r.data.get("outcome") not in (sp.RESET, sp.CLOSED, sp.STALLED) or direct.get("outcome") != sp.COMPLETED:
        return None
    return Finding(
        "stream.compare", "proxy-cuts-stream", Severity.WARNING, Confidence.HIGH,
        "The proxy is what cuts the answer",
        f"Through the proxy the answer ended ({r.data['outcome']}) after {r.data.get('total_s', 0):.1f} s; sent "
        f"directly, the same request completed in {direct.get('total_s') or 0:.1f} s. The proxy cuts long answers.",
        [Evidence("Through the proxy", r.data["outcome"]), Evidence("Directly", direct.get("outcome", ""))],
        [], ask_it=("Streamed answers from api.anthropic.com are cut when they pass our proxy but not without it. "
                    "Please raise the proxy's idle/read timeout for this host to 600 s or let it bypass the proxy."),
        failure_mode=2,
    )


def _claude_code(results: Results) -> ClaudeCodeHere | None:
    r = results.get("env.clients")
    return from_clients(r.data if r is not None and isinstance(r.data, dict) else None)
