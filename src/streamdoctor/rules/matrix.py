"""Rules over the experiment matrix: the variable that flips the outcome, named with the numbers on both sides.

Each verdict says which client it applies to, because the same network hurts clients differently: a broken
IPv6 path stops Claude Code's native build (Bun does not fall back) while curl, browsers and the Python SDK
fall back to IPv4 after a delay; an upload limit hurts every client on exactly its largest requests.

Sources for the per-client switches (re-check before relying on them):
- Bun's DNS lookup (oven-sh/bun, the internal getaddrinfo's getHints): BUN_FEATURE_FLAG_DISABLE_IPV6 makes it
  ask for IPv4 addresses only (POSIX builds; the Windows lookup path passes AF_UNSPEC and ignores the flag).
- Claude Code's native builds are Bun executables that ignore NODE_OPTIONS (DESIGN.md facts), so
  NODE_OPTIONS=--dns-result-order=ipv4first helps only Node installs (npm) and Node SDK scripts.
- Reports of the symptom: anthropics/claude-code issues #20240 ("fails on networks with broken IPv6
  (ECONNRESET)", curl and browsers fall back, Bun does not) and #69104 (Bun tries IPv6 with no IPv4 fallback).
"""

from __future__ import annotations

from typing import Any

from ..diagnosis import DEFAULT_API_HOST, Results, rule
from ..i18n import Msg, _, ngettext
from ..i18n.joining import joined, listed
from ..matrix import describe_family as describe
from ..model import Confidence, Evidence, Finding, Severity, Status


def _data(results: Results, name: str) -> dict[str, Any] | None:
    r = results.get(name)
    if r is None or r.status in (Status.SKIPPED, Status.CANCELLED, Status.ERROR) or not r.data:
        return None
    return r.data


def _fallback_delay(results: Results) -> float | None:
    """How long a client that tries the broken family first waits before IPv4 works (the TCP probe's failed
    attempt), or None when the TCP probe did not try it first."""
    tcp = _data(results, "tcp") or {}
    failed = [a for a in (tcp.get("direct") or {}).get("attempts") or [] if not a.get("ok")]
    return float(failed[0]["time_s"]) if failed else None


@rule("matrix.family")
def address_family(results: Results) -> Finding | None:
    d = _data(results, "matrix.family")
    fams = (d or {}).get("families") or {}
    v4, v6 = fams.get("ipv4") or {}, fams.get("ipv6") or {}
    if not v4 or not v6 or bool(v4.get("ok")) == bool(v6.get("ok")):
        return None
    host = (d or {}).get("host") or "api.anthropic.com"
    ev = [Evidence(_("IPv6 ({address})", address=str(v6.get("address"))), describe(v6)),
          Evidence(_("IPv4 ({address})", address=str(v4.get("address"))), describe(v4))]
    delay = _fallback_delay(results)
    if delay is not None:
        ev.append(Evidence(_("Wait before falling back to IPv4 (clients that fall back)"), round(delay, 1), "s"))
    if v4.get("ok"):
        cc = user_client(results, "Claude Code")
        curl = user_client(results, "curl")
        curl_s = float(curl["time_s"]) if curl and curl["outcome"] == "ok" else None
        others = _others_fall_back(curl_s, delay)
        version = str((cc or {}).get("version") or "")
        if cc is None:
            cc_words = _("Claude Code's native build has been reported not to fall back to IPv4 (anthropics/"
                         "claude-code #20240, #69104), so it can fail on every request ('Unable to connect to API') "
                         "while curl, browsers and the Python SDK fall back to IPv4 and work.")
            applies = _("Claude Code (native build): reported to fail, it does not fall back to IPv4 (not run here). "
                        "{others}", others=others)
        elif cc["outcome"] == "ok":
            cc_words = _("Your Claude Code {version} was run here and worked (answered in {secs:.1f} s), so it gets "
                         "past the broken IPv6 on this computer; other Claude Code versions and builds have been "
                         "reported not to fall back.", version=version, secs=float(cc["time_s"]))
            applies = _("Claude Code {version}: works here ({secs:.1f} s). {others}", version=version,
                        secs=float(cc["time_s"]), others=others)
        else:
            cc_words = _("Your Claude Code {version} was run here and failed after {secs:.1f} s (exit {code}: "
                         "{error}), while curl, browsers and the Python SDK fall back to IPv4 and work.",
                         version=version, secs=float(cc["time_s"]), code=str(cc.get("exit_code")),
                         error=str(cc.get("error", ""))[:120])
            applies = _("Claude Code {version}: fails here (exit {code}). {others}", version=version,
                        code=str(cc.get("exit_code")), others=others)
        ev.append(Evidence(_("Applies to"), applies))
        survived = cc is not None and cc["outcome"] == "ok"
        return Finding(
            "matrix.family", "ipv6-broken", Severity.WARNING if survived else Severity.PROBLEM, Confidence.HIGH,
            _("IPv6 to the API is broken here; IPv4 works"),
            joined(_("Over IPv6, {host} fails ({v6}); over IPv4 it works ({v4}).", host=host, v6=describe(v6),
                     v4=describe(v4)),
                   cc_words,
                   _("For Claude Code (macOS, Linux): start it with BUN_FEATURE_FLAG_DISABLE_IPV6=1 in its environment "
                     "(its runtime then looks up IPv4 addresses only); NODE_OPTIONS=--dns-result-order=ipv4first "
                     "helps only a Claude Code installed with npm and Node scripts, the native build ignores "
                     "NODE_OPTIONS. On Windows the flag is not applied by the runtime: turn IPv6 off on the network "
                     "adapter until IT fixes the route.")),
            ev,
            ask_it=_("IPv6 connections from this network to {host} fail ({v6}) while IPv4 works ({v4}). Clients "
                     "without IPv4 fallback (Claude Code) cannot connect. Please fix the IPv6 route/firewall to "
                     "{api}, or stop advertising IPv6 on this network.", host=host, v6=describe(v6),
                     v4=describe(v4), api=DEFAULT_API_HOST),
            failure_mode=13,
        )
    ev.append(Evidence(_("Applies to"), _("clients that try IPv4 first (Node with ipv4first, old runtimes)")))
    return Finding(
        "matrix.family", "ipv4-broken", Severity.WARNING, Confidence.HIGH,
        _("IPv4 to the API is broken here; IPv6 works"),
        _("Over IPv4, {host} fails ({v4}); over IPv6 it works ({v6}). Clients that prefer IPv6 work; a client told "
          "to prefer IPv4 (NODE_OPTIONS=--dns-result-order=ipv4first, BUN_FEATURE_FLAG_DISABLE_IPV6) fails: remove "
          "that setting.", host=host, v4=describe(v4), v6=describe(v6)),
        ev, ask_it=_("IPv4 connections from this network to {host} fail ({v4}) while IPv6 works.", host=host,
                     v4=describe(v4)),
        failure_mode=13,
    )


def _others_fall_back(curl_s: float | None, delay: float | None) -> Msg:
    """What the clients that fall back to IPv4 do, with the times measured here (one sentence per case)."""
    if curl_s is not None and delay is not None:
        return _("curl ({curl:.1f} s here), browsers and Node: work (they try IPv4 a fraction of a second after "
                 "IPv6); the Python SDK: works once its IPv6 attempt has timed out ({delay:.1f} s)",
                 curl=curl_s, delay=delay)
    if curl_s is not None:
        return _("curl ({curl:.1f} s here), browsers and Node: work (they try IPv4 a fraction of a second after "
                 "IPv6); the Python SDK: works once its IPv6 attempt has timed out", curl=curl_s)
    if delay is not None:
        return _("curl, browsers and Node: work (they try IPv4 a fraction of a second after IPv6); the Python SDK: "
                 "works once its IPv6 attempt has timed out ({delay:.1f} s)", delay=delay)
    return _("curl, browsers and Node: work (they try IPv4 a fraction of a second after IPv6); the Python SDK: works "
             "once its IPv6 attempt has timed out")


def user_client(results: Results, name: str) -> dict[str, Any] | None:
    """The run of one of the user's own clients (matrix.clients), or None when it did not run."""
    d = _data(results, "matrix.clients") or {}
    return next((c for c in d.get("clients", []) if c.get("name") == name
                 and c.get("outcome") in ("ok", "failed")), None)


@rule("matrix.clients")
def client_problem(results: Results) -> Finding | None:
    """The network carries the API (our stack, curl or another client work) but one of the user's clients
    fails: a client problem (its HTTP stack, its version), not the network."""
    d = _data(results, "matrix.clients")
    ran = [c for c in (d or {}).get("clients", []) if c.get("outcome") in ("ok", "failed")]
    failed = [c for c in ran if c["outcome"] == "failed"]
    stream = _data(results, "stream") or {}
    ours_ok = stream.get("outcome") == "completed" or bool((_data(results, "http") or {}).get("reached_api"))
    working: list[Msg | str] = [c["name"] for c in ran if c["outcome"] == "ok"]
    if ours_ok:
        working.append(_("Stream Doctor's own test"))
    if not failed or not working:
        return None
    c = failed[0]
    name = f"{c['name']} {c.get('version') or ''}".strip()  # a product name and its version: not translated
    ev = [Evidence(f"{x['name']} {x.get('version') or ''}".strip(),
                   _("works") if x["outcome"] == "ok" else
                   _("fails: exit {code}, {error}", code=str(x.get("exit_code")), error=str(x.get("error", ""))))
          for x in ran]
    ev.append(Evidence(_("Applies to"), _("{name} only", name=name)))
    return Finding(
        "matrix.clients", "client-problem", Severity.PROBLEM, Confidence.MEDIUM,
        _("{name} fails where other clients work", name=name),
        _("Your network carries the API: {working} worked. {name} failed after {secs:.1f} s (exit {code}: {error}). "
          "That points at the client, not the network: update it, or go back to the last version that worked for "
          "you.", working=listed(*working), name=name, secs=float(c["time_s"]), code=str(c.get("exit_code")),
          error=str(c.get("error", ""))[:160]),
        ev, failure_mode=15,
    )


CUT_OUTCOMES = ("reset", "closed", "stalled")  # the stream probe's endings that are a cut, not an API answer


@rule("matrix.clients.stream")
def what_claude_code_does_with_a_cut(results: Results) -> Finding | None:
    """Our stream was cut; say what the user's own Claude Code did on the same network. It retries a failed
    stream without streaming, so it may get its answer anyway (slowly), or fail with its own words."""
    stream = _data(results, "stream") or {}
    cc = user_client(results, "Claude Code")
    if stream.get("outcome") not in CUT_OUTCOMES or cc is None:
        return None
    name = f"Claude Code {cc.get('version') or ''}".strip()
    secs, outcome = float(cc["time_s"]), str(stream.get("outcome"))
    ev = [Evidence(_("Stream Doctor's stream"), outcome),
          Evidence(name, _("answered in {secs:.1f} s", secs=secs) if cc["outcome"] == "ok" else
                   _("failed after {secs:.1f} s: exit {code}, {error}", secs=secs, code=str(cc.get("exit_code")),
                     error=str(cc.get("error", "")))),
          Evidence(_("Applies to"), name)]
    if cc.get("retries"):
        ev.append(Evidence(_("{name} retries", name=name), cc["retries"]))
    if cc["outcome"] == "ok":
        return Finding(
            "matrix.clients.stream", "client-survives-cut", Severity.INFO, Confidence.HIGH,
            _("{name} got its answer anyway", name=name),
            _("The network cut our streamed answer ({outcome}), but your {name} got its answer in {secs:.1f} s: when "
              "a stream fails it asks again without streaming. Long answers still break or arrive late, so the cut "
              "is worth fixing.", outcome=outcome, name=name, secs=secs), ev, failure_mode=15)
    failed = _("The network cut our streamed answer ({outcome}), and your {name} failed too, after {secs:.1f} s: "
               "\"{error}\" (exit {code}).", outcome=outcome, name=name, secs=secs,
               error=str(cc.get("error", ""))[:160], code=str(cc.get("exit_code")))
    retried = (ngettext("It retried {n} time and no attempt got through before it was stopped.",
                        "It retried {n} times and no attempt got through before it was stopped.", int(cc["retries"]))
               if cc.get("retries") else None)
    return Finding(
        "matrix.clients.stream", "client-hit-by-cut", Severity.INFO, Confidence.HIGH,
        _("{name} fails on the same cut", name=name), joined(failed, retried), ev,
        failure_mode=15)


@rule("matrix.upload")
def upload_cut(results: Results) -> Finding | None:
    d = _data(results, "matrix.upload")
    if not d or "cut_estimate_bytes" not in d:
        return None
    lo, hi, n = d["passed_max_bytes"] // 1024, d["cut_min_bytes"] // 1024, d["cut_estimate_bytes"] // 1024
    large = d.get("large") or {}
    kind = d.get("cut_kind") or large.get("kind")
    kind = str(kind)
    ev = [Evidence(_("Largest request that got through"), lo, "KB"),
          Evidence(_("Smallest request that was cut"), hi, "KB"),
          Evidence(_("The {kb} KB request", kb=large.get("bytes", 0) // 1024), _upload_ending(kind, large)),
          Evidence(_("Uploaded by this test"), d.get("sent_bytes", 0) // 1024, "KB"),
          Evidence(_("Applies to"), _("every client (Claude Code, the Claude app, the SDKs, curl): only on large "
                                      "requests"))]
    p = {"n": n, "lo": lo, "hi": hi}
    if kind == "reset":
        first = _("Requests above ~{n} KB are cut on this network: a {lo} KB request was answered, a {hi} KB one was "
                  "reset.", **p)
        ask = _("Uploads from this network to {api} larger than ~{n} KB are reset (between {lo} and {hi} "
                "KB), smaller ones pass.", **p, api=DEFAULT_API_HOST)
    elif kind == "closed":
        first = _("Requests above ~{n} KB are cut on this network: a {lo} KB request was answered, a {hi} KB one was "
                  "closed.", **p)
        ask = _("Uploads from this network to {api} larger than ~{n} KB are closed (between {lo} and "
                "{hi} KB), smaller ones pass.", **p, api=DEFAULT_API_HOST)
    elif kind == "stall":
        first = _("Requests above ~{n} KB are cut on this network: a {lo} KB request was answered, a {hi} KB one "
                  "stalled.", **p)
        ask = _("Uploads from this network to {api} larger than ~{n} KB stall (between {lo} and {hi} "
                "KB), smaller ones pass.", **p, api=DEFAULT_API_HOST)
    else:
        first = _("Requests above ~{n} KB are cut on this network: a {lo} KB request was answered, a {hi} KB one was "
                  "not ({kind}).", kind=kind, **p)
        ask = _("Uploads from this network to {api} larger than ~{n} KB fail ({kind}; between {lo} and "
                "{hi} KB), smaller ones pass.", kind=kind, **p, api=DEFAULT_API_HOST)
    return Finding(
        "matrix.upload", "upload-cut", Severity.PROBLEM,
        Confidence.HIGH if kind in ("reset", "closed") else Confidence.MEDIUM,
        _("Requests above ~{n} KB are cut on this network", n=n),
        joined(first, _("Long conversations, pasted files, images and /compact make such requests, so exactly those "
                        "fail (Claude Code: 'Unable to connect to API (ECONNRESET)' after its retries), while short "
                        "prompts work. Nothing on the laptop changes that limit: until IT lifts it, keep "
                        "conversations short (/compact early, /clear) and attach smaller files.")),
        ev,
        ask_it=joined(ask, _("An upload limit, DLP or inspection policy is the usual cause. Please exempt "
                             "{api} or raise the limit.", api=DEFAULT_API_HOST)),
        failure_mode=14,
    )


def _upload_ending(kind: str, large: dict[str, Any]) -> Msg:
    secs = float(large.get("time_s") or 0)
    if kind == "reset":
        return _("reset after {secs:.1f} s", secs=secs)
    if kind == "closed":
        return _("closed after {secs:.1f} s", secs=secs)
    if kind == "stall":
        return _("stalled after {secs:.1f} s", secs=secs)
    return _("{kind} after {secs:.1f} s", kind=kind, secs=secs)
