"""Reversible fixes: each previewed, journaled before it changes anything, verified by probes, undoable.

    from streamdoctor.fixes import all_fixes, get_fix, recover_pending
    fix = get_fix("claude-code-proxy")
    plan = fix.preview(report)            # model.FixPlan: what exactly will change
    record_id = fix.apply(report)         # journaled first; atomic writes; backups kept
    outcome = fix.verify(report, record_id)
    fix.revert(record_id)

No Qt here. The fix modules are imported on first use, so the privileged helper (privhelper.py, run as root)
loads only itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .journal import FixError, JournalRecord, list_records, recover_pending

if TYPE_CHECKING:
    from .base import Fix, VerifyOutcome

FIX_IDS = ("mtu", "claude-code-timeouts", "claude-code-proxy", "claude-code-ca", "sdk-snippet", "nginx-streaming",
           "env-proxy", "env-ca")


def all_fixes() -> list[Fix]:
    from .registry import all_fixes as _all

    return _all()


def get_fix(fix_id: str) -> Fix:
    from .registry import get_fix as _get

    return _get(fix_id)


def __getattr__(name: str) -> object:
    if name in ("Fix", "VerifyOutcome"):
        from . import base

        return getattr(base, name)
    raise AttributeError(name)


__all__ = ["FIX_IDS", "Fix", "FixError", "JournalRecord", "VerifyOutcome", "all_fixes", "get_fix", "list_records",
           "recover_pending"]
