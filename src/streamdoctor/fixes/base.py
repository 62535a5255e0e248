"""What every fix is: a preview of exactly what will change, apply (journaled), verify (by re-running probes),
and revert (from the journal). Fixes change; they never measure on their own.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from ..i18n import Msg, _
from ..model import FixPlan, Report, Status
from . import journal


@dataclass
class VerifyOutcome:
    ok: bool
    detail: str


class Shown:
    """A class attribute marked with N_() that reads as its translation on an instance (`fix.title`), so every
    screen says it in the user's language, while the class keeps the English msgid (`type(fix).title`) for the
    journal, which must read the same whatever language applied the fix."""

    def __init__(self, msgid: str) -> None:
        self.msgid = msgid

    def __get__(self, obj: object, owner: type | None = None) -> str:
        return self.msgid if obj is None else _(self.msgid)


class NotApplicableError(journal.FixError):
    """The report gives this fix nothing to do (or not the numbers it needs)."""


class Fix:
    """Base of every fix. Subclasses set id/title/needs_admin and implement applies/preview/apply/verify."""

    id: str = ""
    title: Shown | str = ""  # subclasses: Shown(N_("...")): translated when read on an instance
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
            raise journal.FixError(_("record {record} belongs to fix '{owner}', not '{fix}'",
                                     record=record_id, owner=record.fix_id, fix=self.id))
        journal.revert(record_id)

    def plan(self, description: str, preview: str) -> FixPlan:
        """The plan shown to the user. Description and preview pass the bundle's redaction: a proxy password in a
        URL, a key in settings.json or an nginx header must not reach a terminal the user may paste."""
        red = preview_redactor()
        red.learn(description, preview)
        return FixPlan(self.id, self.title, redact_text(description, red), redact_text(preview, red),
                       needs_admin=self.needs_admin, reversible=self.reversible)

    def journal_title(self) -> str:
        """The English title the journal keeps (shown later through `_()`, in the language of that moment)."""
        return str(getattr(type(self), "title", "")) or self.id

    def require(self, report: Report) -> None:
        if not self.applies(report):
            raise NotApplicableError(_("the fix '{fix}' has nothing to do for this report (run the check again, "
                                       "or see 'streamdoctor fix show {fix}')", fix=self.id))


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


def redact_text(text: str, redactor: Any) -> str:
    """redact_preview() that keeps a translated text translatable: a Msg gets its parameters redacted (a secret
    can only come in through them, never through our own words), so it can still be said again in English."""
    if isinstance(text, Msg):
        params = {k: redact_text(v, redactor) if isinstance(v, str) else v for k, v in text.params.items()}
        return Msg(text.msgid, text.plural, text.n, params, text.lang)
    return redact_preview(text, redactor)


def text_diff(before: str, after: str, name: str) -> str:
    """A unified diff for the preview ("(no change)" when identical). Both sides are redacted first (context
    lines too), with one Redactor that has seen both, so a secret is hidden on every line it appears on."""
    if before == after:
        return _("(no change)")
    red = preview_redactor()
    red.learn(before, after)
    before, after = redact_preview(before, red), redact_preview(after, red)
    if before == after:
        return _("(only a secret value changes; it is not shown)")
    lines = list(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                      # TRANSLATORS: the two file names in a diff header; keep {name} as is
                                      fromfile=_("{name} (now)", name=name),
                                      tofile=_("{name} (after the fix)", name=name)))
    if not lines:
        return _("(no change)")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
