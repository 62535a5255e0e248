"""summary.txt: the few lines a user pastes into a ticket or an email to IT (also the GUI's "Copy summary")."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .. import i18n
from ..i18n import N_, _
from ..model import Report, Severity
from . import facts

# redaction kind -> what was removed, in words (translated where shown: the language is chosen after import)
KIND_WORDS = {
    "api-key": N_("API keys"), "auth-header": N_("authorization headers"), "cookie": N_("cookies"),
    "token": N_("bearer tokens"), "url-credentials": N_("proxy/URL credentials"),
    "secret-setting": N_("secret settings (keys, tokens, passwords)"), "url-secret": N_("secrets in URL parameters"),
    "email": N_("e-mail addresses"), "user-name": N_("the user name in paths"),
    "private-ip": N_("private IP addresses (pseudonymized)"),
    "internal-host": N_("internal host names (pseudonymized)"),
    "known-secret": N_("known secret values"), "private-key": N_("private keys"),
}


@dataclass
class BundleInfo:
    """What the renderers need to know about the bundle itself (not the run)."""

    redactions: dict[str, int] = field(default_factory=dict)
    redact_user: bool = True
    pseudonymize_hosts: bool = False
    fixes: list[dict[str, Any]] | None = None
    files: list[str] = field(default_factory=list)


def utc(ts: float) -> str:
    """A moment in UTC (what IT compares with its logs), written the current language's way."""
    when = _dt.datetime.fromtimestamp(ts, tz=_dt.UTC)
    return _("{when} UTC", when=i18n.format_datetime(when, i18n.current()))


def redaction_lines(info: BundleInfo) -> list[str]:
    lines: list[str] = [_("{n} x {kind}", n=n, kind=_(KIND_WORDS[k]) if k in KIND_WORDS else k)
                        for k, n in sorted(info.redactions.items()) if n]
    if not lines:
        lines = [_("nothing secret was found")]
    if not info.redact_user:
        lines.append(_("the user name was left in paths (at the user's request)"))
    return lines


def _header(report: Report, host: str, port: int) -> str:
    when = utc(report.created_at)
    lab = report.target.get("lab_profile")
    version = report.app_version or ""
    if lab:
        return _("Stream Doctor {version}: check of {host}:{port}, {when} (simulated lab: {lab})",
                 version=version, host=host, port=str(port), when=when, lab=lab)
    return _("Stream Doctor {version}: check of {host}:{port}, {when}", version=version, host=host, port=str(port),
             when=when)


def render_summary(report: Report, info: BundleInfo) -> str:
    """The summary from an already-redacted report, in the current language."""
    host, port = facts.api_endpoint(report)
    v = report.verdict
    out: list[str] = [_header(report, host, port)]
    # TRANSLATORS: {overall} is the verdict's machine word (HEALTHY, PROBLEM, UNTESTED), kept in English for IT
    out += ["", _("VERDICT: {overall}", overall=v.overall.value.upper()), v.headline, ""]
    seen = report.target.get("user_error")
    if isinstance(seen, dict) and seen.get("sentence"):  # check --error / the wizard's "What did you see?"
        out += [_("The user saw: {text}", text=str(seen.get("text", ""))), f"  {seen['sentence']}", ""]
    changes = facts.network_changes(report)
    if changes:
        out.append(_("What to change on the network (for IT):"))
        for i, c in enumerate(changes, 1):
            out.append(f"  {i}. {c.title}: {c.detail}")
        out.append("")
    serious = [f for f in v.findings if f.severity is not Severity.INFO]
    if serious:
        out.append(_("Findings:"))
        for f in serious:
            out.append(f"  - [{f.severity.value}] {f.title}: {f.plain}")
            for e in f.evidence[:4]:
                out.append(f"      {e.text()}")
        out.append("")
    facts_rows = facts.network_facts(report)
    if facts_rows:
        out.append(_("Measured:"))
        out += [f"  {label}: {value}" for label, value in facts_rows]
        out.append("")
    out.append(_("Checks:"))
    out += [f"  {r.probe}: {r.status.value}: {r.summary}" for r in report.results]
    out.append("")
    if info.fixes is None:
        out.append(_("Fixes applied on this laptop: none (the fix journal is not available)"))
    elif not info.fixes:
        out.append(_("Fixes applied on this laptop: none"))
    else:
        out.append(_("Fixes applied on this laptop:"))
        for rec in info.fixes:
            title, state, touched = facts.describe_fix(rec)
            out.append(f"  - {title}: {state}" + (f" ({touched})" if touched else ""))
    out.append(_("Redacted before sharing: {what}", what="; ".join(redaction_lines(info))))
    out.append(_("Details: open report.html from the bundle in any browser; report.json follows "
                 "report.schema.json."))
    return "\n".join(out) + "\n"


def summary_text(
    report: Report, *, redact_user: bool = True, pseudonymize_hosts: bool = False, extra_secrets: Iterable[str] = (),
    language: str | None = None,
) -> str:
    """A redacted plain-text summary of a report, for the clipboard or a mailto: body (the same text as the
    bundle's summary.txt, except that the redaction counts do not include the logs). language: the language IT
    reads (e.g. "en"); None keeps the user's."""
    from .writer import in_language, prepare

    with in_language(report, language) as localized:
        prepared = prepare(localized, redact_user=redact_user, pseudonymize_hosts=pseudonymize_hosts,
                           extra_secrets=extra_secrets)
    return prepared.summary
