"""What every fix is: a preview of exactly what will change, apply (journaled), verify (by re-running probes),
and revert (from the journal). Fixes change; they never measure on their own.
"""

from __future__ import annotations

import difflib
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
        return FixPlan(self.id, self.title, description, preview, needs_admin=self.needs_admin,
                       reversible=self.reversible)

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


def text_diff(before: str, after: str, name: str) -> str:
    """A unified diff for the preview ("(no change)" when identical)."""
    lines = list(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                      fromfile=f"{name} (now)", tofile=f"{name} (after the fix)"))
    if not lines:
        return "(no change)"
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
