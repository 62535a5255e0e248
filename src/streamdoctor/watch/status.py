"""What the tray shows, read from the record (in a worker thread: it opens the database). Kept apart from
report.py so the tray's import at the wizard's start pulls in no probe or rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .analysis import analyse, summary_lines
from .pidfile import running_pid
from .store import Store, default_path
from .timeline import build

MAX_SHOWN_EVENTS = 5_000  # the newest; the window draws a timeline, not an archive


def status_snapshot(db: Path | None = None) -> dict[str, Any]:
    """The analysis, the timeline, the newest cut, whether a watch runs; {"missing": True} before any watch."""
    db = db or default_path()
    if not db.exists():
        return {"missing": True, "running": running_pid(db) is not None}
    with Store(db, readonly=True) as store:
        events = [e.as_dict() for e in store.events()][-MAX_SHOWN_EVENTS:]
        states = store.states()
    cuts = [e for e in events if e["kind"] == "cut"]
    a = analyse(events, states)
    return {"missing": False, "running": running_pid(db) is not None, "analysis": a,
            "timeline": build(events, states), "last_cut": cuts[-1] if cuts else None, "lines": summary_lines(a)}
