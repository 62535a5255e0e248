"""The fix journal: every change is written down (with a backup) BEFORE it is made, so it can always be undone.

One JSON file per applied fix ("record") in <data_dir>/fixes/journal, backups next to it in
<data_dir>/fixes/backups/<record id>/. A record is `pending` from the moment it exists until the last change
is made, then `applied`; undo makes it `reverted`. A record still `pending` at the next start means the app died
mid-change: recover_pending() (called at start by the CLI and the GUI) rolls every journaled step back, so the
machine is exactly as before, and marks the record `rolled-back`.

Steps are plain dicts with a "kind". "file" is handled here; other kinds (an interface MTU, a registry value)
register their undo with register_undo(). Every undo must be idempotent: recovery may run it for a step whose
change never happened, or happened halfway.

A record is data, never a program (issue 14 item 2): only the enumerated step kinds run, each kind checks its
arguments with its validator before its undo runs (a refused step is reported, not executed), and a record file
(or the journal folder) that is not owned by the user running Stream Doctor, or that others may write, is refused
with one line. Every apply, undo and recovery holds the fixes lock (filelock.py), so two processes never change
the same file at once and recovery never rolls back an apply that is still running.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import secrets
import stat
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from .. import paths
from ..errors import UserError
from ..i18n import _
from ..safeio import NotRegularFileError, read_regular
from .atomic import CRASH_ENV, PAUSED_MARK, atomic_delete, atomic_write, crash_point, real_target, sweep_stale_tmp

__all__ = ["CRASH_ENV", "PAUSED_MARK", "crash_point"]  # the crash hook lives in atomic.py; re-exported for tests

log = logging.getLogger(__name__)

PENDING, APPLIED, REVERTED, ROLLED_BACK, FAILED = "pending", "applied", "reverted", "rolled-back", "failed"



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
StepValidator = Callable[[dict[str, Any], JournalRecord], None]
_UNDO: dict[str, UndoHandler] = {}
_VALIDATE: dict[str, StepValidator] = {}


def register_undo(kind: str, handler: UndoHandler, validator: StepValidator | None = None) -> None:
    """Register the undo of a step kind, and the check of its arguments that runs before it (raise FixError)."""
    _UNDO[kind] = handler
    if validator is not None:
        _VALIDATE[kind] = validator


class RefusedRecordError(FixError):
    """A record (or one of its steps) that is not trustworthy input; nothing of it is run."""


FILE_STEP_KINDS = ("file", "settings-env")  # steps that replace a file (their temp files may be left by a kill)
_SHA_RE = re.compile(r"[0-9a-f]{64}")


def _check_private(path: Path, what: str) -> None:
    """Refuse a journal file or folder that someone else owns or others may write (POSIX only)."""
    if not hasattr(os, "geteuid"):  # pragma: no cover - Windows: the folder is in the user's own profile
        return
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise RefusedRecordError(_("Part of the fix journal, {path}, is a symbolic link; Stream Doctor refuses to "
                                   "use it.", path=str(path)))
    if st.st_uid != os.geteuid() or st.st_mode & 0o022:
        mode = format(stat.S_IMODE(st.st_mode), "o")
        raise RefusedRecordError(_("Part of the fix journal, {path}, is not private to you (owner uid {uid}, mode "
                                   "{mode}); Stream Doctor refuses to use it: move it away.", path=str(path),
                                   uid=str(st.st_uid), mode=mode))


def validate_file_step(step: dict[str, Any], record: JournalRecord) -> None:
    """A "file" step: an absolute path, hashes, and a backup inside this record's own backup folder."""
    path = step.get("path")
    if not isinstance(path, str) or not os.path.isabs(path) or "\0" in path:
        raise RefusedRecordError(_("record {record}: refused the file path {path}", record=record.id, path=repr(path)))
    for key in ("before_sha256", "after_sha256"):
        value = step.get(key)
        if value is not None and not (isinstance(value, str) and _SHA_RE.fullmatch(value)):
            raise RefusedRecordError(_("record {record}: refused the value of {key}", record=record.id, key=key))
    if step.get("existed"):
        backup = step.get("backup")
        own = backups_dir() / record.id
        if (not isinstance(backup, str) or os.path.dirname(os.path.abspath(backup)) != str(own)
                or os.path.islink(backup)):
            raise RefusedRecordError(_("record {record}: refused the backup path {path}", record=record.id,
                                       path=repr(backup)))
        _check_private(Path(backup), "the fix backup")  # its bytes are what undo writes back


def journal_dir() -> Path:
    return paths.data_dir() / "fixes" / "journal"


def backups_dir() -> Path:
    return paths.data_dir() / "fixes" / "backups"


def _record_path(record_id: str) -> Path:
    if not record_id or any(c in record_id for c in "/\\:") or record_id.startswith("."):
        raise UnknownRecordError(_("'{record}' is not a fix record id; 'streamdoctor fix list' shows them",
                                   record=record_id))
    return journal_dir() / f"{record_id}.json"


def save(record: JournalRecord) -> None:
    record.updated_at = time.time()
    folder = journal_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic_write(_record_path(record.id), json.dumps(asdict(record), indent=2).encode(), mode=0o600)


def load(record_id: str) -> JournalRecord:
    path = _record_path(record_id)
    _check_private(path.parent, "the fix journal folder")
    _check_private(path, "the fix record")
    try:
        data = json.loads(read_regular(path).decode("utf-8"))
        record = JournalRecord(**data)
    except FileNotFoundError:
        raise UnknownRecordError(_("no fix record '{record}'; 'streamdoctor fix list' shows them",
                                   record=record_id)) from None
    except (OSError, ValueError, TypeError) as exc:
        raise FixError(_("the fix record {path} is damaged ({error}); move it away and try again", path=str(path),
                         error=str(exc))) from None
    if record.id != record_id or not isinstance(record.steps, list) or not all(isinstance(x, dict)
                                                                               for x in record.steps):
        raise FixError(_("the fix record {path} is damaged (its id or steps do not match); move it away",
                         path=str(path)))
    return record


def list_records() -> list[JournalRecord]:
    """Every record, oldest first. A damaged record file is skipped (and logged), never fatal."""
    folder = journal_dir()
    if not folder.is_dir():
        return []
    out = []
    for p in folder.glob("*.json"):
        try:
            out.append(load(p.stem))
        except FixError as exc:
            log.warning("skipping fix record %s: %s", p, exc)
    return sorted(out, key=lambda r: (r.created_at, r.id))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
        self._lock = contextlib.ExitStack()

    def __enter__(self) -> Transaction:
        from .filelock import fix_lock

        self._lock.enter_context(fix_lock())  # re-entrant: the fix may already hold it for its read-merge-write
        try:
            save(self.record)
        except BaseException:
            self._lock.close()
            raise
        return self

    def write_file(self, path: Path, data: bytes, mode: int | None = None, kind: str = "file",
                   details: dict[str, Any] | None = None) -> None:
        """Back up `path`, journal the step, then replace the file atomically. `kind` names a step kind whose undo
        knows more than bytes (e.g. "settings-env"); `details` are what that undo needs."""
        try:
            self._write_file(path, data, mode, kind, details or {})
        except NotRegularFileError as exc:
            raise FixError(_("{path} {problem}; Stream Doctor only edits regular files, nothing was changed",
                             path=str(exc.filename or path), problem=exc.strerror)) from None
        except OSError as exc:
            why = exc.strerror or str(exc)
            if isinstance(exc, PermissionError):
                raise FixError(_("cannot change {path}: {error}; run Stream Doctor as an administrator",
                                 path=str(exc.filename or path), error=why)) from exc
            raise FixError(_("cannot change {path}: {error}", path=str(exc.filename or path), error=why)) from exc

    def _write_file(self, path: Path, data: bytes, mode: int | None, kind: str, details: dict[str, Any]) -> None:
        target = real_target(path)
        step: dict[str, Any] = {**details, "kind": kind, "path": str(target), "after_sha256": sha256(data)}
        try:
            before: bytes | None = read_regular(target)
        except FileNotFoundError:
            before = None
        if before is not None and not _writable(target):
            raise FixError(_("{path} is read-only; Stream Doctor does not replace a file you protected. Make it "
                             "writable (chmod u+w) and apply again; nothing was changed", path=str(target)))
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
        with self._lock:
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


def _writable(target: Path) -> bool:
    """Whether the user meant `target` to be writable: no write bit at all means read-only even for root."""
    try:
        st = os.stat(target)
    except OSError:
        return True
    return bool(st.st_mode & 0o222) and os.access(target, os.W_OK)


def _undo_steps(record: JournalRecord) -> list[str]:
    """Undo every step, last first. Returns what could not be undone (one line each); keeps going past failures."""
    problems: list[str] = []
    for step in reversed(record.steps):
        handler = _UNDO.get(step.get("kind", ""))
        if handler is None:
            problems.append(_("unknown step kind {kind} (not run)", kind=repr(step.get("kind"))))
            continue
        try:
            validator = _VALIDATE.get(step.get("kind", ""))
            if validator is None:
                raise RefusedRecordError(_("step kind {kind} has no argument check", kind=repr(step.get("kind"))))
            validator(step, record)
        except FixError as exc:
            log.warning("refused %s step in %s: %s", step.get("kind"), record.id, exc)
            problems.append(_("refused: {error}", error=str(exc)))
            continue
        try:
            handler(step, record)
        except Exception as exc:
            log.exception("undo of %s step failed in %s", step.get("kind"), record.id)
            problems.append(f"{step.get('kind')} {step.get('path') or step.get('interface') or ''}: {exc}".strip())
    return problems


def current_bytes(step: dict[str, Any]) -> bytes | None:
    """The file a step changed, as it is now (None if gone)."""
    try:
        return read_regular(step["path"])
    except FileNotFoundError:
        return None


def keep_changed_copy(step: dict[str, Any], record: JournalRecord, current: bytes) -> None:
    """Keep a version someone else wrote after the fix next to the backup, and say where in the record."""
    target = Path(step["path"])
    keep = backups_dir() / record.id / f"before-undo-{int(time.time())}-{target.name}"
    atomic_write(keep, current, mode=0o600)
    record.notes.append(f"{target} had changed since the fix; that version is kept in {keep}")


def undo_file_bytes(step: dict[str, Any], record: JournalRecord) -> None:
    """The byte-exact undo of a file step (also used by kinds that know more, when the file is as we left it)."""
    _undo_file(step, record)


def _undo_file(step: dict[str, Any], record: JournalRecord) -> None:
    target = Path(step["path"])
    current = current_bytes(step)
    current_sha = sha256(current) if current is not None else None
    if current_sha == step.get("before_sha256"):
        return  # already as it was (the change never happened, or was undone already)
    if current is not None and current_sha != step.get("after_sha256"):
        # Changed by someone else since we wrote it: restore ours as promised, but keep theirs too.
        keep_changed_copy(step, record, current)
    if step.get("existed"):
        atomic_write(target, read_regular(step["backup"]))
    else:
        atomic_delete(target)


register_undo("file", _undo_file, validate_file_step)


def revert(record_id: str) -> JournalRecord:
    """Undo an applied record. Raises FixError (one line) if it is not applied or a step cannot be undone."""
    from .filelock import fix_lock

    with fix_lock():
        record = load(record_id)
        if record.state != APPLIED:
            # TRANSLATORS: {state} is a machine word (failed, reverted, rolled-back, pending)
            raise FixError(_("fix record {record} is {state}, not applied: nothing to undo", record=record_id,
                             state=record.state))
        _load_undo_handlers()
        problems = _undo_steps(record)
        if problems:
            record.notes.append("undo incomplete: " + "; ".join(problems))
            save(record)
            raise FixError(_("could not undo everything of {record}: {problems}", record=record_id,
                             problems="; ".join(problems)))
        record.state = REVERTED
        save(record)
        return record


def pending_records() -> list[JournalRecord]:
    """Records left `pending` (an apply still running, or one that died)."""
    return [record for record in list_records() if record.state == PENDING]


def recover_pending() -> list[str]:
    """Roll back every record left `pending` by a crash. Returns one line per recovered record for the user.

    Called at start by the fix commands and the GUI; cheap when there is nothing to do (one folder listing): the
    fix modules, whose undo handlers a rollback needs, are imported only when a record is pending. It takes the
    fixes lock without waiting: if another process holds it, that process is applying right now and its pending
    record is not a crash, so nothing is touched. Our temporary files left by a killed run are swept here."""
    from .filelock import FixBusyError, fix_lock

    if not journal_dir().is_dir():
        return []
    try:
        with fix_lock(wait_s=0):
            return _recover_locked()
    except FixBusyError:
        return []


def _recover_locked() -> list[str]:
    pending = pending_records()
    sweep_stale_tmp(journal_dir())
    if pending:
        _load_undo_handlers()
    messages: list[str] = []
    for record in pending:
        for folder in sorted(_step_folders(record) | {backups_dir() / record.id}):
            sweep_stale_tmp(folder)
        problems = _undo_steps(record)
        record.state = ROLLED_BACK
        record.notes.append("interrupted while being applied; rolled back at the next start"
                            + (f" except: {'; '.join(problems)}" if problems else ""))
        save(record)
        # The journal keeps the English title (a N_() msgid): said now in the user's language.
        title = _(record.title)
        if problems:
            messages.append(_("An interrupted fix ({title}) was rolled back, but: {problems}", title=title,
                              problems="; ".join(problems)))
        else:
            messages.append(_("An interrupted fix ({title}) was rolled back; nothing was left half-changed.",
                              title=title))
    return messages


def _step_folders(record: JournalRecord) -> set[Path]:
    """The folders of the record's file steps that pass their argument check (never an unchecked path)."""
    out = set()
    for step in record.steps:
        if step.get("kind") in FILE_STEP_KINDS:
            try:
                validate_file_step(step, record)
            except FixError:
                continue
            out.add(Path(step["path"]).parent)
    return out


def _load_undo_handlers() -> None:
    # Fix modules register their undo handlers on import; the registry imports them all.
    from . import registry  # noqa: F401

