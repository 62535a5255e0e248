"""The watch's record: an embedded SQLite database in the user's data folder.

Why SQLite: one file, readable by the wizard and `watch --export` while the watch writes (WAL mode lets
readers and the one writer work at once), and every event is its own committed transaction, so a crash or
`kill -9` loses at most the event being written (WAL + synchronous=NORMAL is durable against a process crash;
only a power loss can lose the last transactions). Size stays bounded: events beyond a count or an age are
deleted, and the laptop's state is stored once per change (events refer to it by id), not per event.

No secrets: callers store states and events built by watch/state.py and watch/core.py, which strip proxy
credentials and never see an API key; `_scrub` refuses anything that looks like one as a last guard.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import paths

SCHEMA_VERSION = 1
DB_NAME = "watch.sqlite3"
# A week of a cut every minute plus its states is ~10k events; 40k keeps a month of a bad network under 10 MB.
MAX_EVENTS = 40_000
RETENTION_DAYS = 30.0  # older events say little about today's network
BUSY_TIMEOUT_MS = 2_000  # a reader's checkpoint can hold the lock briefly; wait this long, never forever
_SECRET = re.compile(r"sk-ant-[A-Za-z0-9_-]+|://[^/\s:@]+:[^/\s@]+@")

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS states (id INTEGER PRIMARY KEY, t REAL NOT NULL, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, t REAL NOT NULL, kind TEXT NOT NULL, "
    "ending TEXT, state_id INTEGER, data TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS events_t ON events (t)",
]


class StoreError(Exception):
    """The database cannot be used (another program's file, a newer schema, a broken file)."""


@dataclass
class Event:
    id: int
    t: float  # wall-clock seconds (the time a person reads on the timeline)
    kind: str  # start, stop, state, cut, outage, recovered, wake, change, recheck, stats
    ending: str | None
    state_id: int | None
    data: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "t": round(self.t, 3), "kind": self.kind, "ending": self.ending,
                "state_id": self.state_id, **self.data}


def default_path() -> Path:
    return paths.data_dir() / DB_NAME


def _scrub(data: dict[str, Any]) -> str:
    text = json.dumps(data, separators=(",", ":"), sort_keys=True, default=str)
    return _SECRET.sub("[removed]", text)


class Store:
    """One connection to the watch database. The watch writes through one Store; readers open their own."""

    def __init__(self, path: Path | None = None, *, readonly: bool = False) -> None:
        self.path = Path(path) if path is not None else default_path()
        if readonly and not self.path.exists():
            raise StoreError(f"no watch record at {self.path}: start `streamdoctor watch` first")
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                      check_same_thread=False)
            self.db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if not readonly:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                for stmt in _SCHEMA:
                    self.db.execute(stmt)
                self._check_version()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot use {self.path}: {exc}") from exc
        if not readonly:
            with _quiet():
                self.path.chmod(0o600)  # the record of where the laptop was is the user's business

    def _check_version(self) -> None:
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if row is None:
            self.db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(row[0]) > SCHEMA_VERSION:
            raise StoreError(f"{self.path} was written by a newer Stream Doctor (schema {row[0]})")

    def close(self) -> None:
        with _quiet():
            self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing (each call is one committed transaction) ---------------------------------------------

    def add_state(self, data: dict[str, Any], t: float | None = None) -> int:
        cur = self.db.execute("INSERT INTO states (t, data) VALUES (?, ?)", (t or time.time(), _scrub(data)))
        return int(cur.lastrowid or 0)

    def add_event(self, kind: str, data: dict[str, Any] | None = None, *, ending: str | None = None,
                  state_id: int | None = None, t: float | None = None) -> int:
        cur = self.db.execute("INSERT INTO events (t, kind, ending, state_id, data) VALUES (?, ?, ?, ?, ?)",
                              (t or time.time(), kind, ending, state_id, _scrub(data or {})))
        return int(cur.lastrowid or 0)

    def prune(self, now: float | None = None, max_events: int = MAX_EVENTS,
              retention_days: float = RETENTION_DAYS) -> int:
        """Delete events past the age or count limit and states no event refers to; returns events deleted."""
        now = now or time.time()
        with self.transaction():
            n = self.db.execute("DELETE FROM events WHERE t < ?", (now - retention_days * 86400,)).rowcount
            n += self.db.execute("DELETE FROM events WHERE id <= (SELECT id FROM events ORDER BY id DESC "
                                 "LIMIT 1 OFFSET ?)", (max_events,)).rowcount
            self.db.execute("DELETE FROM states WHERE id NOT IN (SELECT state_id FROM events WHERE state_id "
                            "IS NOT NULL) AND id < (SELECT COALESCE(MAX(id), 0) FROM states)")
        return n

    def checkpoint(self) -> None:
        """Fold the WAL into the main file (it would otherwise grow until a reader-free moment)."""
        with _quiet():
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- reading ------------------------------------------------------------------------------------

    def events(self, since: float = 0.0, until: float | None = None, limit: int = MAX_EVENTS) -> list[Event]:
        rows = self.db.execute(
            "SELECT id, t, kind, ending, state_id, data FROM events WHERE t >= ? AND t <= ? ORDER BY id LIMIT ?",
            (since, until if until is not None else 1e18, limit)).fetchall()
        return [Event(r[0], r[1], r[2], r[3], r[4], _loads(r[5])) for r in rows]

    def states(self) -> dict[int, dict[str, Any]]:
        with closing(self.db.execute("SELECT id, t, data FROM states ORDER BY id")) as cur:
            return {r[0]: {"t": r[1], **_loads(r[2])} for r in cur.fetchall()}

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())


def _loads(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


@contextmanager
def _quiet() -> Iterator[None]:
    try:
        yield
    except (OSError, sqlite3.Error):
        pass
