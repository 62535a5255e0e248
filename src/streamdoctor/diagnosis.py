"""Diagnosis: a registry of rules that turn probe results into findings, and the verdict over them.

A rule is a function (results by probe name) -> Finding | list[Finding] | None, registered with @rule. Rules
live in streamdoctor.rules.<area>; importing that package registers them. Rules read only ProbeResult.data,
never the network: probes measure, diagnosis judges.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from .i18n import Msg, _
from .model import Finding, Overall, ProbeResult, Severity, Status, Verdict

log = logging.getLogger(__name__)

Results = Mapping[str, ProbeResult]
Rule = Callable[[Results], Finding | list[Finding] | None]
Condition = Callable[[Finding, Finding, Results], bool]

_RULES: dict[str, Rule] = {}


@dataclass(frozen=True)
class Explanation:
    """`cause` explains `explained` (both Finding.cause values) when `when(explaining, explained, results)`
    holds: one root cause often shows up in several probes (an MTU black hole also kills the large TLS hello
    and large uploads), and the user must be sent to the root, not to its symptoms."""

    cause: str
    explained: str
    why: str
    when: Condition


_EXPLANATIONS: list[Explanation] = []


def explains(cause: str, explained: str, why: str, when: Condition | None = None) -> None:
    """Register that a finding with `cause` explains one with `explained` (under `when`, default always).
    `why` is the half-sentence the explained finding gets ("large hellos die in the same black hole"), marked
    with N_() where it is registered: it is translated when a report is made, not at import time."""
    _EXPLANATIONS.append(Explanation(cause, explained, why, when or (lambda a, b, r: True)))


def apply_explanations(findings: list[Finding], results: Results) -> None:
    """Mark each finding explained by another present, unexplained finding: it stands down to INFO, says
    what explains it, and the explaining finding leads. A finding never explains the one explaining it."""
    registered_rules()  # the rule modules register their explanations on import
    for e in _EXPLANATIONS:
        for a in [f for f in findings if f.cause == e.cause and not f.explained_by]:
            for b in [f for f in findings if f.cause == e.explained and f is not a and not f.explained_by]:
                if a.explained_by == b.cause:
                    continue
                try:
                    holds = e.when(a, b, results)
                except Exception:  # a broken condition must not hide findings: leave both standing
                    log.exception("explanation %s -> %s failed", e.cause, e.explained)
                    continue
                if holds:
                    b.explained_by = a.cause
                    b.severity = Severity.INFO
                    # TRANSLATORS: {plain} is the finding's own text, {title} the title of the finding that
                    # explains it, {why} a half-sentence saying how (translated separately).
                    b.plain = _("{plain} This follows from another finding ({title}): {why}.",
                                plain=b.plain, title=a.title, why=_(e.why))


def _order(findings: list[Finding]) -> list[Finding]:
    """Most severe first; among equals, findings that explain others (causes) before the rest; then by rule
    name for a stable order. Explained findings sit right after the finding that explains them."""
    explaining = {f.explained_by for f in findings if f.explained_by}
    leaders = sorted((f for f in findings if not f.explained_by),
                     key=lambda f: (-f.severity.rank, f.cause not in explaining, f.rule))
    out: list[Finding] = []
    for f in leaders:
        out.append(f)
        out += sorted((g for g in findings if g.explained_by == f.cause), key=lambda g: g.rule)
    out += [f for f in findings if f not in out]  # explained by a finding that is itself explained
    return out


def rule(rule_id: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        if rule_id in _RULES and _RULES[rule_id] is not fn:
            raise ValueError(f"rule id {rule_id!r} registered twice")
        _RULES[rule_id] = fn
        return fn

    return register


def registered_rules() -> dict[str, Rule]:
    from . import rules  # noqa: F401  (importing registers every rule module)

    return dict(_RULES)


# Rules write the API's host as this name in their advice to IT; diagnose() puts the host actually tested in its
# place, so a user behind a gateway asks IT about the gateway, not about a host their traffic never reaches.
DEFAULT_API_HOST = "api.anthropic.com"
# The host with its port, as requests to IT name it: a placeholder value (`{api_port}`), so diagnose() can name a
# gateway with its own port and the text still says itself again in English.
DEFAULT_API_PORT = f"{DEFAULT_API_HOST}:443"


def diagnose(results: Iterable[ProbeResult], target_url: str = "") -> Verdict:
    """Apply every rule; the verdict is 'problem' if any warning or problem was found, 'untested' if nothing
    could be measured (or a probe that matters could not run), otherwise 'healthy'. `target_url` is the endpoint
    tested; IT advice names its host."""
    by_name = {r.probe: r for r in results}
    findings: list[Finding] = []
    for rule_id, fn in registered_rules().items():
        try:
            out = fn(by_name)
        except Exception:  # one broken rule must not hide the others' findings
            log.exception("rule %s failed", rule_id)
            continue
        for f in [out] if isinstance(out, Finding) else (out or []):
            f.rule = f.rule or rule_id
            f.ask_it = _name_the_tested_host(f.ask_it, target_url)
            findings.append(f)
    apply_explanations(findings, by_name)
    findings = _order(findings)
    serious = [f for f in findings if f.severity is not Severity.INFO]
    if serious:
        return Verdict(Overall.PROBLEM, serious[0].plain, findings)
    untestable = [r for r in by_name.values() if r.status in (Status.ERROR, Status.CANCELLED)]
    measured = [r for r in by_name.values() if r.status in (Status.OK, Status.WARN, Status.FAIL)]
    if untestable or not measured:
        why = untestable[0].summary if untestable else _("No check could run.")
        # TRANSLATORS: {why} is the summary of the check that could not run, a sentence of its own.
        return Verdict(Overall.UNTESTED, _("Could not test everything: {why}", why=why), findings)
    stream = by_name.get("stream")
    if stream is not None and stream.status is Status.OK:
        return Verdict(Overall.HEALTHY,
                       _("No problem found: streamed answers get through this network intact."), findings)
    # A quick or key-less check tested no streamed answer; do not claim that it would get through.
    return Verdict(Overall.HEALTHY,
                   _("No problem found in the checks that ran (no streamed answer was tested)."), findings)


def _name_the_tested_host(text: str, target_url: str) -> str:
    """`text` with the default API host replaced by the tested one. A Msg stays a Msg (so it can still be said
    in English for IT): rules pass the host as a placeholder value (`api=DEFAULT_API_HOST`), and it is the
    values that are rewritten. A host written into a msgid itself cannot be rewritten that way; that text is
    replaced as plain text in the language it was made in (right host, but no longer re-sayable)."""
    parts = urlsplit(target_url) if target_url else None
    if not text or parts is None or not parts.hostname or parts.hostname == DEFAULT_API_HOST:
        return text
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return _rehost(text, parts.hostname, port)


def _rehost(text: str, host: str, port: int) -> str:
    if isinstance(text, Msg):
        literal = DEFAULT_API_HOST in text.msgid or DEFAULT_API_HOST in (text.plural or "")
        if not literal:
            params = {k: _rehost(v, host, port) if isinstance(v, str) else v for k, v in text.params.items()}
            return text if params == text.params else Msg(text.msgid, text.plural, text.n, params, text.lang)
        log.debug("msgid names %s itself; its text is rewritten as plain text: %r", DEFAULT_API_HOST, text.msgid)
    text = str(text).replace(f"{DEFAULT_API_HOST}:443", f"{host}:{port}")
    return text.replace(DEFAULT_API_HOST, host)
