"""What every fix is: a preview of exactly what will change, apply (journaled), verify (by re-running probes),
and revert (from the journal). Fixes change; they never measure on their own.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from ..model import FixPlan, Report, Status
from . import journal


@dataclass
class VerifyOutcome:
    ok: bool
    detail: str


class NotApplicableError(journal.FixError):
    """The report gives this fix nothing to do (or not the numbers it needs)."""


class Fix:
    """Base of every fix. Subclasses set id/title/needs_admin and implement applies/preview/apply/verify."""

    id: str = ""
    title: str = ""
    needs_admin: bool = False
    reversible: bool = True
    probes: tuple[str, ...] = ()  # the probes whose data the fix reads (the CLI runs just these without --report)

    def applies(self, report: Report) -> bool:
        raise NotImplementedError

    def preview(self, report: Report) -> FixPlan:
        raise NotImplementedError

    def apply(self, report: Report) -> str:
        """Make the change; returns the journal record id that revert() takes."""
        raise NotImplementedError

    def verify(self, report: Report, record_id: str) -> VerifyOutcome:
        raise NotImplementedError

    def revert(self, record_id: str) -> None:
        record = journal.load(record_id)
        if record.fix_id != self.id:
            raise journal.FixError(f"record {record_id} belongs to fix '{record.fix_id}', not '{self.id}'")
        journal.revert(record_id)

    def plan(self, description: str, preview: str) -> FixPlan:
        """The plan shown to the user. Description and preview pass the bundle's redaction: a proxy password in a
        URL, a key in settings.json or an nginx header must not reach a terminal the user may paste."""
        red = preview_redactor()
        red.learn(description, preview)
        return FixPlan(self.id, self.title, redact_preview(description, red), redact_preview(preview, red),
                       needs_admin=self.needs_admin, reversible=self.reversible)

    def require(self, report: Report) -> None:
        if not self.applies(report):
            raise NotApplicableError(f"the fix '{self.id}' has nothing to do for this report "
                                     "(run the check again, or see 'streamdoctor fix show " + self.id + "')")


def probe_data(report: Report, probe: str) -> dict[str, Any]:
    """The data of a probe that measured something; {} when it is missing, skipped or failed to run."""
    r = report.result(probe)
    if r is None or r.status in (Status.SKIPPED, Status.CANCELLED, Status.ERROR) or not isinstance(r.data, dict):
        return {}
    return r.data


def finding_causes(report: Report) -> set[str]:
    return {f.cause for f in report.verdict.findings}


# A header set in a server config (nginx `proxy_set_header Authorization "Bearer ...";`): no ":" or "=" between
# name and value, so the bundle's header pattern does not see it; the value is a secret all the same.
_CONF_HEADER_RE = re.compile(
    r"(?i)\b((?:proxy_set_header|add_header|more_set_headers|grpc_set_header)\s+[\"']?)([\w-]+)([\"']?\s+)"
    r"([\"'][^\"'\n]*[\"']|[^\s;]+)")


def preview_redactor() -> Any:
    """A Redactor for what a fix prints: secrets out, the user's own paths and host names left as they are."""
    from ..bundle.redact import Redactor

    return Redactor(redact_user=False, pseudonymize_hosts=False)


def redact_preview(text: str, redactor: Any | None = None) -> str:
    """`text` with every secret the bundle's redaction knows replaced by a placeholder, line by line."""
    from ..bundle.redact import is_secret_name, placeholder

    red = redactor if redactor is not None else preview_redactor()

    def header(m: re.Match[str]) -> str:
        if not is_secret_name(m.group(2)) or m.group(4).strip("\"'").startswith("[redacted"):
            return m.group(0)
        red.counts["secret-header"] += 1
        return f"{m.group(1)}{m.group(2)}{m.group(3)}\"{placeholder('secret-header')}\""

    return "".join(red.text(_CONF_HEADER_RE.sub(header, line)) for line in text.splitlines(keepends=True))


def text_diff(before: str, after: str, name: str) -> str:
    """A unified diff for the preview ("(no change)" when identical). Both sides are redacted first (context
    lines too), with one Redactor that has seen both, so a secret is hidden on every line it appears on."""
    if before == after:
        return "(no change)"
    red = preview_redactor()
    red.learn(before, after)
    before, after = redact_preview(before, red), redact_preview(after, red)
    if before == after:
        return "(only a secret value changes; it is not shown)"
    lines = list(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                      fromfile=f"{name} (now)", tofile=f"{name} (after the fix)"))
    if not lines:
        return "(no change)"
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
