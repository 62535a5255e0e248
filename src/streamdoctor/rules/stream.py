"""Rules over the stream probe: how the streamed answer ended, and what that says about the path."""

from __future__ import annotations

from typing import Any

from .. import claude_versions as cv
from ..claude_advice import ClaudeCodeHere, first_byte_variable, from_clients
from ..diagnosis import DEFAULT_API_HOST, DEFAULT_API_PORT, Results, rule
from ..i18n import N_, Msg, _, ngettext
from ..i18n.joining import joined
from ..model import Confidence, Evidence, Finding, Severity, Status
from ..probes import stream as sp
from .idle import idle_cut

# Below this much silence before the cut, data was still flowing: the cut is not an idle timeout.
IDLE_SILENCE_MIN_S = 1.0
BUFFER_SHARE_MIN = 0.8
BUFFER_EVENTS_MIN = 20

# probe data key -> (evidence label, unit); the labels are translated where they are shown (the language is chosen
# after import)
_LABELS: dict[str, tuple[str, str]] = {
    "silence_before_end_s": (N_("Silence before the cut"), "s"),
    "total_s": (N_("Time until the stream ended"), "s"),
    "bytes": (N_("Bytes received before the end"), "B"),
    "time_to_first_byte_s": (N_("Time to first byte"), "s"),
    "largest_burst_share": (N_("Share of bytes in one 0.1 s burst"), ""),
    "text_events": (N_("Text events"), ""),
    "http_status": (N_("HTTP status"), ""),
    "request_id": (N_("Request id"), ""),
    "outcome": (N_("How the stream ended"), ""),
}


def _stream(results: Results) -> dict[str, Any] | None:
    r = results.get("stream")
    if r is None or r.status in (Status.SKIPPED, Status.CANCELLED) or not r.data:
        return None
    return r.data


def _ev(d: dict[str, Any], *keys: str) -> list[Evidence]:
    out = []
    for k in keys:
        if d.get(k) is not None:
            label, unit = _LABELS[k]
            value = round(d[k], 2) if isinstance(d[k], float) else d[k]
            out.append(Evidence(_(label), value, unit))
    if d.get("exception_chain"):
        out.append(Evidence(_("Error seen by the client"), d["exception_chain"][0], "",
                            "\n".join(d["exception_chain"])))
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
            _("Silent connections are reset"),
            _("Your network cuts connections that are silent for about {silence:.0f} s: the answer was reset "
              "after {silence:.1f} s without a byte, while Claude was still thinking.", silence=silence),
            evidence, ["sdk-snippet"],
            ask_it=_("A device on our network (firewall, NAT or VPN) sends TCP resets on connections to the "
                     "Anthropic API after about {silence:.0f} s of silence. Please raise the idle timeout for "
                     "{api_port} to at least 600 s.", silence=silence, api_port=DEFAULT_API_PORT),
            failure_mode=1,
        )
    if d["outcome"] == sp.CLOSED and idle:
        return Finding(
            "stream.cut", "idle-close", Severity.PROBLEM, Confidence.MEDIUM,
            _("Silent connections are closed"),
            _("Something on your network closes connections that are silent for about {silence:.0f} s: the answer "
              "was closed after {silence:.1f} s without a byte. A proxy usually does this; TCP keepalive does not "
              "help against it, only a longer idle timeout does.", silence=silence),
            evidence, [],
            ask_it=_("A proxy on our network closes connections to the Anthropic API after about {silence:.0f} s "
                     "without data. Please raise its idle/read timeout for {api} to at least 600 s, "
                     "or exempt the host from the proxy.", silence=silence, api=DEFAULT_API_HOST),
            failure_mode=2,
        )
    kb, total = d["bytes"] / 1024, float(d["total_s"])
    reset = d["outcome"] == sp.RESET
    if reset:
        title = _("The answer was reset while data was flowing")
        first = _("The connection was reset {kb:.1f} KB into the answer, after {total:.1f} s, while data was still "
                  "arriving.", kb=kb, total=total)
    else:
        title = _("The answer was closed while data was flowing")
        first = _("The connection was closed {kb:.1f} KB into the answer, after {total:.1f} s, while data was still "
                  "arriving.", kb=kb, total=total)
    return Finding(
        "stream.cut", "midstream-reset" if reset else "midstream-close", Severity.PROBLEM, Confidence.MEDIUM,
        title,
        joined(first, _("Something on the path (antivirus, a DPI firewall, a VPN) is cutting live streams.")),
        evidence, [],
        ask_it=_("Connections to {api} are cut mid-transfer while data is flowing. Please check the "
                 "firewall/DPI or endpoint security logs for this laptop and exempt {api}.", api=DEFAULT_API_HOST),
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
        _("The answer stopped arriving"),
        _("The answer stopped arriving: nothing came for {silence:.0f} s and the connection never closed. A "
          "firewall that drops silent connections without telling anyone does this; the idle test measures after "
          "how long.", silence=silence),
        _ev(d, "outcome", "silence_before_end_s", "total_s", "bytes"), ["sdk-snippet"],
        ask_it=_("Connections to {api} stop receiving data and hang when they are silent for a while "
                 "(a silent drop, no reset). Please raise the idle timeout for {api_port} to 600 s.",
                 api=DEFAULT_API_HOST, api_port=DEFAULT_API_PORT),
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
            _("The server sent only keep-alives"),
            _("The server sent only keep-alives (pings or SSE comments) for {secs:.0f} s and no answer, so the test "
              "stopped. The API sends the answer's events within seconds; a gateway or proxy that holds the answer "
              "back while it keeps the connection open looks like this.", secs=secs),
            _ev(d, "outcome", "total_s", "bytes"), [],
            ask_it=_("Streaming requests to {api} through our gateway/proxy receive only keep-alive "
                     "events for {secs:.0f} s and never the answer. Please check whether it holds or buffers "
                     "streamed answers (text/event-stream).", secs=secs, api=DEFAULT_API_HOST),
            failure_mode=3,
        )
    what = str(d.get("bad_data") or d.get("detail") or "")[:200]
    return Finding(
        "stream.data", "not-messages-api", Severity.PROBLEM, Confidence.HIGH,
        _("The server sent data that is not the Messages API"),
        _("The server at this URL sent data that is not the Messages API ({what}). Anthropic's API never sends "
          "this; the URL may point at something else, or a gateway in between rewrites the stream.", what=what),
        _ev(d, "outcome", "total_s", "bytes"), [],
        ask_it=_("Streaming answers from the API endpoint we use arrive altered ({what}). Please check the gateway "
                 "or proxy in front of {api}.", what=what, api=DEFAULT_API_HOST),
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
        _("A proxy holds the answer back"),
        _("{share:.0f} % of the answer arrived in one lump after {secs:.1f} s instead of word by word: a proxy on the "
          "way buffers the stream. Long answers then time out before anything arrives.", share=share,
          secs=float(d["time_to_last_byte_s"])),
        _ev(d, "largest_burst_share", "text_events", "time_to_first_byte_s", "total_s"), ["nginx-streaming"],
        ask_it=_("A reverse proxy in front of the Anthropic API buffers server-sent events. For nginx: "
                 "proxy_buffering off; proxy_cache off; gzip off (gzip on text/event-stream also holds a stream "
                 "back); proxy_read_timeout 600s; or send X-Accel-Buffering: no."),
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
            _("No answer started in time"),
            _("No byte of the answer arrived within {limit:.0f} s. Clients give up with a timeout when the first "
              "byte takes longer than their limit.", limit=float(limit)),
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
    mine: Msg | None = None
    if too_short:
        name, limit = too_short[0]
        mine = _("Claude Code here gives up after {limit:.0f} s ({name}), too close to this: raise it.",
                 limit=limit, name=name)
    return Finding(
        "stream.first-byte", "slow-first-byte", Severity.PROBLEM if too_short else Severity.WARNING,
        Confidence.MEDIUM, _("Answers are slow to start"),
        joined(_("The first byte of the answer took {ttfb:.1f} s. Clients with a shorter first-byte or request "
                 "timeout (in Claude Code {variable}, a custom SDK timeout) report a timeout, not a reset.",
                 ttfb=float(ttfb), variable=first_byte_variable(_claude_code(results))), mine),
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
            _("The API reported an error mid-answer"),
            _("The API itself stopped the answer with an error event ({type}: {message}). This is not your "
              "network: retry after a short wait.", type=str(err.get("type", "error")),
              message=str(err.get("message", ""))),
            _ev(d, "outcome", "total_s", "request_id"), ["sdk-snippet"], failure_mode=12,
        )
    if d["outcome"] != sp.HTTP_ERROR or d["http_status"] in (401, 403):
        return None
    status = d["http_status"]
    retry_after = (d.get("api_error") or {}).get("retry_after", "")
    # the server's own header value, shown as it came (it may be a date as well as seconds)
    wait = _("The API asked to wait {retry_after} s.", retry_after=str(retry_after)) if retry_after else None
    plain: str
    if status == 429:
        cause, title = "rate-limited", _("Too many requests (429)")
        plain = joined(_("The API answered 429 Too Many Requests: your organisation's rate limit was reached."), wait,
                       _("This is not your network; retry with backoff or ask your Claude admin about limits."))
    elif status == 529 or (d.get("api_error") or {}).get("type") == "overloaded_error":
        cause, title = "overloaded", _("The API is overloaded (529)")
        plain = joined(_("The API answered 529 Overloaded: it is busy right now."), wait,
                       _("This is not your network; retry after a short wait."))
    else:
        cause, title = "http-error", _("The API answered HTTP {status}", status=status)
        plain = _("The request failed with HTTP {status}. If this repeats, the bundle's request id helps support.",
                  status=status)
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
        _("The SDK does not resume a cut answer"),
        joined(ngettext("The anthropic SDK {version} installed here does not retry an answer that is cut after it "
                        "started: against a simulated reset it made {n} request and raised {error}.",
                        "The anthropic SDK {version} installed here does not retry an answer that is cut after it "
                        "started: against a simulated reset it made {n} requests and raised {error}.",
                        int(check.get("streams_started", 1)), version=str(check.get("sdk_version", "")),
                        error=str(check.get("error", "")).split(":")[0]),
               _("Scripts must catch that and resume; the SDK snippet does it for you.")),
        [Evidence(_("SDK version"), check.get("sdk_version", "")),
         Evidence(_("Streams the SDK started for one cut answer"), check.get("streams_started", 0)),
         Evidence(_("Error the caller sees"), check.get("error", ""))],
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
        _("The proxy is what cuts the answer"),
        _("Through the proxy the answer ended ({outcome}) after {proxied:.1f} s; sent directly, the same request "
          "completed in {direct:.1f} s. The proxy cuts long answers.", outcome=str(r.data["outcome"]),
          proxied=float(r.data.get("total_s", 0)), direct=float(direct.get("total_s") or 0)),
        [Evidence(_("Through the proxy"), r.data["outcome"]), Evidence(_("Directly"), direct.get("outcome", ""))],
        [], ask_it=_("Streamed answers from {api} are cut when they pass our proxy but not without it. "
                     "Please raise the proxy's idle/read timeout for this host to 600 s or let it bypass the proxy.",
                     api=DEFAULT_API_HOST),
        failure_mode=2,
    )


def _claude_code(results: Results) -> ClaudeCodeHere | None:
    r = results.get("env.clients")
    return from_clients(r.data if r is not None and isinstance(r.data, dict) else None)
