"""The fix journal: every change is written down (with a backup) BEFORE it is made, so it can always be undone.

One JSON file per applied fix ("record") in <data_dir>/fixes/journal, backups next to it in
<data_dir>/fixes/backups/<record id>/. A record is `pending` from the moment it exists until the last change
is made, then `applied`; undo makes it `reverted`. A record still `pending` at the next start means the app died
mid-change: recover_pending() (called at start by the CLI and the GUI) rolls every journaled step back, so the
machine is exactly as before, and marks the record `rolled-back`.

Steps are plain dicts with a "kind". "file" is handled here; other kinds (an interface MTU, a registry value)
register their undo with register_undo(). Every undo must be idempotent: recovery may run it for a step whose
change never happened, or happened halfway.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from .. import paths
from ..errors import UserError
from .atomic import atomic_delete, atomic_write, real_target

log = logging.getLogger(__name__)

PENDING, APPLIED, REVERTED, ROLLED_BACK, FAILED = "pending", "applied", "reverted", "rolled-back", "failed"

# Test hook: STREAMDOCTOR_FIX_CRASH_AT=journaled|written makes the process stop at that point (after the journal
# and backup are on disk but before the file is replaced, or after the replace but before the record is marked
# applied) and wait to be killed, so a test can SIGKILL it exactly there.
CRASH_ENV = "STREAMDOCTOR_FIX_CRASH_AT"
PAUSED_MARK = "STREAMDOCTOR-PAUSED"


class FixError(UserError):
    """A fix could not be applied, verified or undone; the message says what to do."""


class UnknownRecordError(FixError):
    pass


@dataclass
class JournalRecord:
    id: str
    fix_id: str
    title: str
    state: str
    created_at: float
    updated_at: float
    steps: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)  # what the fix wants to remember (targets, values)


UndoHandler = Callable[[dict[str, Any], JournalRecord], None]
_UNDO: dict[str, UndoHandler] = {}


def register_undo(kind: str, handler: UndoHandler) -> None:
    _UNDO[kind] = handler


def journal_dir() -> Path:
    return paths.data_dir() / "fixes" / "journal"


def backups_dir() -> Path:
    return paths.data_dir() / "fixes" / "backups"


def _record_path(record_id: str) -> Path:
    if not record_id or any(c in record_id for c in "/\\:") or record_id.startswith("."):
        raise UnknownRecordError(f"'{record_id}' is not a fix record id; 'streamdoctor fix list' shows them")
    return journal_dir() / f"{record_id}.json"


def save(record: JournalRecord) -> None:
    record.updated_at = time.time()
    atomic_write(_record_path(record.id), json.dumps(asdict(record), indent=2).encode(), mode=0o600)


def load(record_id: str) -> JournalRecord:
    path = _record_path(record_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UnknownRecordError(f"no fix record '{record_id}'; 'streamdoctor fix list' shows them") from None
    except ValueError as exc:
        raise FixError(f"the fix record {path} is damaged ({exc}); move it away and try again") from None
    return JournalRecord(**data)


def list_records() -> list[JournalRecord]:
    """Every record, oldest first. A damaged record file is skipped (and logged), never fatal."""
    folder = journal_dir()
    if not folder.is_dir():
        return []
    out = []
    for p in folder.glob("*.json"):
        try:
            out.append(load(p.stem))
        except FixError:
            log.warning("skipping damaged fix record %s", p)
    return sorted(out, key=lambda r: (r.created_at, r.id))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def crash_point(name: str) -> None:
    """Where a test can stop the process dead (see CRASH_ENV). Does nothing in normal runs."""
    if os.environ.get(CRASH_ENV) != name:
        return
    print(f"{PAUSED_MARK} {name}", file=sys.stderr, flush=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the test SIGKILLs us here; never linger if it does not
        time.sleep(0.05)
    os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


class Transaction:
    """Applies one fix's changes, each journaled first. Leaving the block with an exception undoes what was done.

        with Transaction("claude-code-proxy", "Claude Code proxy") as tx:
            tx.write_file(settings, new_bytes)
        record_id = tx.record.id
    """

    def __init__(self, fix_id: str, title: str, info: dict[str, Any] | None = None) -> None:
        now = time.time()
        rid = f"{time.strftime('%Y%m%d-%H%M%S', time.localtime(now))}-{fix_id}-{secrets.token_hex(3)}"
        self.record = JournalRecord(rid, fix_id, title, PENDING, now, now, info=dict(info or {}))

    def __enter__(self) -> Transaction:
        save(self.record)
        return self

    def write_file(self, path: Path, data: bytes, mode: int | None = None) -> None:
        """Back up `path`, journal the step, then replace the file atomically."""
        try:
            self._write_file(path, data, mode)
        except OSError as exc:
            why = exc.strerror or str(exc)
            raise FixError(f"cannot change {exc.filename or path}: {why}"
                           + ("; run Stream Doctor as an administrator" if isinstance(exc, PermissionError) else "")
                           ) from exc

    def _write_file(self, path: Path, data: bytes, mode: int | None) -> None:
        target = real_target(path)
        step: dict[str, Any] = {"kind": "file", "path": str(target), "after_sha256": sha256(data)}
        try:
            before = target.read_bytes()
        except FileNotFoundError:
            before = None
        if before is None:
            step.update(existed=False, backup=None, before_sha256=None)
        else:
            backup = backups_dir() / self.record.id / f"{len(self.record.steps)}-{target.name}"
            atomic_write(backup, before, mode=0o600)
            step.update(existed=True, backup=str(backup), before_sha256=sha256(before))
        self.record.steps.append(step)
        save(self.record)  # the journal knows about the change before the change exists
        crash_point("journaled")
        atomic_write(target, data, mode)

    def action(self, step: dict[str, Any], do: Callable[[], dict[str, Any] | None]) -> None:
        """Journal a non-file step (its undo handler must be registered), then run it; `do` may add details."""
        if step.get("kind") not in _UNDO:
            raise ValueError(f"no undo registered for step kind {step.get('kind')!r}")
        self.record.steps.append(step)
        save(self.record)
        crash_point("journaled")
        extra = do()
        if extra:
            step.update(extra)
            save(self.record)

    def note(self, text: str) -> None:
        self.record.notes.append(text)

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if e is None:
            crash_point("written")
            self.record.state = APPLIED
            save(self.record)
            return
        problems = _undo_steps(self.record)
        self.record.state = FAILED
        self.record.notes.append(f"failed: {e}; the changes made so far were undone"
                                 + (f" except: {'; '.join(problems)}" if problems else ""))
        save(self.record)


def _undo_steps(record: JournalRecord) -> list[str]:
    """Undo every step, last first. Returns what could not be undone (one line each); keeps going past failures."""
    problems = []
    for step in reversed(record.steps):
        handler = _UNDO.get(step.get("kind", ""))
        if handler is None:
            problems.append(f"unknown step kind {step.get('kind')!r}")
            continue
        try:
            handler(step, record)
        except Exception as exc:
            log.exception("undo of %s step failed in %s", step.get("kind"), record.id)
            problems.append(f"{step.get('kind')} {step.get('path') or step.get('interface') or ''}: {exc}".strip())
    return problems


def _undo_file(step: dict[str, Any], record: JournalRecord) -> None:
    target = Path(step["path"])
    try:
        current: bytes | None = target.read_bytes()
    except FileNotFoundError:
        current = None
    current_sha = sha256(current) if current is not None else None
    if current_sha == step.get("before_sha256"):
        return  # already as it was (the change never happened, or was undone already)
    if current is not None and current_sha != step.get("after_sha256"):
        # Changed by someone else since we wrote it: restore ours as promised, but keep theirs too.
        keep = backups_dir() / record.id / f"before-undo-{int(time.time())}-{target.name}"
        atomic_write(keep, current, mode=0o600)
        record.notes.append(f"{target} had changed since the fix; that version is kept in {keep}")
    if step.get("existed"):
        atomic_write(target, Path(step["backup"]).read_bytes())
    else:
        atomic_delete(target)


register_undo("file", _undo_file)


def revert(record_id: str) -> JournalRecord:
    """Undo an applied record. Raises FixError (one line) if it is not applied or a step cannot be undone."""
    record = load(record_id)
    if record.state != APPLIED:
        raise FixError(f"fix record {record_id} is {record.state}, not applied: nothing to undo")
    problems = _undo_steps(record)
    if problems:
        record.notes.append("undo incomplete: " + "; ".join(problems))
        save(record)
        raise FixError(f"could not undo everything of {record_id}: {'; '.join(problems)}")
    record.state = REVERTED
    save(record)
    return record


def recover_pending() -> list[str]:
    """Roll back every record left `pending` by a crash. Returns one line per recovered record for the user.

    Called at start by the CLI and the GUI; cheap when there is nothing to do (one folder listing): the fix
    modules, whose undo handlers a rollback needs, are imported only when a record is pending."""
    pending = [record for record in list_records() if record.state == PENDING]
    if pending:
        _load_undo_handlers()
    messages = []
    for record in pending:
        problems = _undo_steps(record)
        record.state = ROLLED_BACK
        record.notes.append("interrupted while being applied; rolled back at the next start"
                            + (f" except: {'; '.join(problems)}" if problems else ""))
        save(record)
        messages.append(f"An interrupted fix ({record.title}) was rolled back"
                        + (f", but: {'; '.join(problems)}" if problems else "; nothing was left half-changed."))
    return messages


def _load_undo_handlers() -> None:
    # Fix modules register their undo handlers on import; the registry imports them all.
    from . import registry  # noqa: F401

