"""summary.txt: the few lines a user pastes into a ticket or an email to IT (also the GUI's "Copy summary")."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..model import Report, Severity
from . import facts

KIND_WORDS = {
    "api-key": "API keys", "auth-header": "authorization headers", "cookie": "cookies", "token": "bearer tokens",
    "url-credentials": "proxy/URL credentials", "secret-setting": "secret settings (keys, tokens, passwords)",
    "url-secret": "secrets in URL parameters", "email": "e-mail addresses", "user-name": "the user name in paths",
    "private-ip": "private IP addresses (pseudonymized)", "internal-host": "internal host names (pseudonymized)",
    "known-secret": "known secret values", "private-key": "private keys",
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
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts))


def redaction_lines(info: BundleInfo) -> list[str]:
    lines = [f"{n} x {KIND_WORDS.get(k, k)}" for k, n in sorted(info.redactions.items()) if n]
    if not lines:
        lines = ["nothing secret was found"]
    if not info.redact_user:
        lines.append("the user name was left in paths (at the user's request)")
    return lines


def render_summary(report: Report, info: BundleInfo) -> str:
    """The summary from an already-redacted report."""
    host, port = facts.api_endpoint(report)
    v = report.verdict
    version = f" {report.app_version}" if report.app_version else ""
    out = [f"Stream Doctor{version}: check of {host}:{port}, {utc(report.created_at)}"]
    if report.target.get("lab_profile"):
        out[0] += f" (simulated lab: {report.target['lab_profile']})"
    out += ["", f"VERDICT: {v.overall.value.upper()}", v.headline, ""]
    seen = report.target.get("user_error")
    if isinstance(seen, dict) and seen.get("sentence"):  # check --error / the wizard's "What did you see?"
        out += [f"The user saw: {seen.get('text', '')}", f"  {seen['sentence']}", ""]
    changes = facts.network_changes(report)
    if changes:
        out.append("What to change on the network (for IT):")
        for i, c in enumerate(changes, 1):
            out.append(f"  {i}. {c.title}: {c.detail}")
        out.append("")
    serious = [f for f in v.findings if f.severity is not Severity.INFO]
    if serious:
        out.append("Findings:")
        for f in serious:
            out.append(f"  - [{f.severity.value}] {f.title}: {f.plain}")
            for e in f.evidence[:4]:
                out.append(f"      {e.text()}")
        out.append("")
    facts_rows = facts.network_facts(report)
    if facts_rows:
        out.append("Measured:")
        out += [f"  {label}: {value}" for label, value in facts_rows]
        out.append("")
    out.append("Checks:")
    out += [f"  {r.probe}: {r.status.value}: {r.summary}" for r in report.results]
    out.append("")
    if info.fixes is None:
        out.append("Fixes applied on this laptop: none (the fix journal is not available)")
    elif not info.fixes:
        out.append("Fixes applied on this laptop: none")
    else:
        out.append("Fixes applied on this laptop:")
        for rec in info.fixes:
            title, state, touched = facts.describe_fix(rec)
            out.append(f"  - {title}: {state}" + (f" ({touched})" if touched else ""))
    out.append("Redacted before sharing: " + "; ".join(redaction_lines(info)))
    out.append("Details: open report.html from the bundle in any browser; report.json follows report.schema.json.")
    return "\n".join(out) + "\n"


def summary_text(
    report: Report, *, redact_user: bool = True, pseudonymize_hosts: bool = False, extra_secrets: Iterable[str] = ()
) -> str:
    """A redacted plain-text summary of a report, for the clipboard or a mailto: body (the same text as the
    bundle's summary.txt, except that the redaction counts do not include the logs)."""
    from .writer import prepare

    prepared = prepare(report, redact_user=redact_user, pseudonymize_hosts=pseudonymize_hosts,
                       extra_secrets=extra_secrets)
    return prepared.summary
