"""The GUI's only door to streamdoctor.fixes, imported lazily: a build (or a moment in development) without
the fixes module, or without a given fix, simply shows no "Fix it" button."""

from __future__ import annotations

import importlib
import logging
from typing import Any

log = logging.getLogger(__name__)


def available_fix(fix_id: str, report: Any) -> Any | None:
    """The Fix object for `fix_id` if it exists and applies to this report, else None."""
    try:
        fixes = importlib.import_module("streamdoctor.fixes")
        fix = fixes.get_fix(fix_id)
    except Exception as exc:  # module missing, unknown id, a broken fix: no button
        log.info("fix %s not offered: %s", fix_id, exc)
        return None
    try:
        return fix if fix.applies(report) else None
    except Exception:
        log.exception("fix %s: applies() failed", fix_id)
        return None


def apply_and_verify(fix: Any, report: Any) -> tuple[str, Any]:
    """Runs in a worker: apply, then verify with the probes. Returns (journal record id, VerifyOutcome)."""
    record_id = fix.apply(report)
    return record_id, fix.verify(report, record_id)


def revert(fix: Any, record_id: str) -> None:
    fix.revert(record_id)
