"""The zip writer: render every file from the redacted report, scan every byte once more for known secrets, add
a manifest, and write `streamdoctor-<host>-<UTC time>.zip` atomically.

Everything is built in memory first (a thorough run is well under 2 MB), then written to a temp file in the
target folder and renamed, so a full disk or an unwritable folder gives one clear line and no partial zip.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import logging
import os
import platform
import re
import socket
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .. import __version__, i18n, paths
from ..buildinfo import build_info
from ..capture.bundle_files import capture_files
from ..errors import UserError
from ..i18n import _
from ..matrix import build as build_matrix
from ..matrix import to_json as matrix_json
from ..model import Report, report_from, to_jsonable
from . import charts, facts
from .har import har_from_report
from .html import render_html
from .pseudonyms import PseudonymMap
from .redact import Redactor, is_secret_name
from .summary import BundleInfo, render_summary

log = logging.getLogger(__name__)

BUNDLE_FORMAT = 1
LOG_TAIL_BYTES = 1_000_000  # the newest part of the log; the rotating log keeps up to 2 MB per file
CRASH_TAIL_BYTES = 200_000
RAW_MAX_CHARS = 500_000


class BundleWriteError(UserError):
    """The bundle could not be saved where asked; the message says why and what to do."""


@dataclass
class Prepared:
    """A redacted report and everything rendered from it, before anything touches the disk."""

    report: Report
    info: BundleInfo
    redactor: Redactor
    summary: str
    members: dict[str, bytes] = field(default_factory=dict)
    late_scrubs: int = 0
    host_label: str = "laptop"


def _learn_hosts(redactor: Redactor, report: Report) -> None:
    """Proxy and gateway host names the probes saw are internal by definition: pseudonymize them too."""
    redactor.add_internal_host(str(report.target.get("base_url", "")))
    proxy = report.result("env.proxy")

    def walk(v: Any) -> None:
        if isinstance(v, str) and "://" in v and " " not in v.strip():  # proxy and PAC URLs
            redactor.add_internal_host(v)
        elif isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    if proxy is not None:
        for key in ("system", "clients"):
            walk(proxy.data.get(key))


def _raw_outputs(report_dict: dict[str, Any]) -> dict[str, str]:
    """raw/<probe>--<label>.txt for every data["raw"] text (already redacted), with safe file names."""
    out: dict[str, str] = {}
    for r in report_dict.get("results", []):
        raw = (r.get("data") or {}).get("raw")
        if not isinstance(raw, dict):
            continue
        for label, text in raw.items():
            if not isinstance(text, str):
                text = json.dumps(text, indent=2, ensure_ascii=False)
            name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{r.get('probe', 'probe')}--{label}").strip("._")[:100]
            path = f"raw/{name or 'output'}.txt"
            n = 2
            while path in out:
                path, n = f"raw/{name}-{n}.txt", n + 1
            out[path] = text[:RAW_MAX_CHARS]
    return out


def _read_tail(path: Path, limit: int) -> str | None:
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            if size > limit:
                f.seek(size - limit)
                data = f.read()
                data = data[data.find(b"\n") + 1:]  # start at a whole line
                return "[... older lines left out ...]\n" + data.decode("utf-8", errors="replace")
            return f.read().decode("utf-8", errors="replace")
    except OSError:
        return None


def _logs() -> dict[str, str]:
    log_file = paths.log_file()
    for handler in logging.getLogger().handlers:  # what the app logged up to now must be in the bundle
        try:
            handler.flush()
        except Exception:  # noqa: S110 (a handler that cannot flush must not stop the bundle)
            pass
    out = {}
    text = _read_tail(log_file, LOG_TAIL_BYTES)
    if text:
        out[f"logs/{log_file.name}"] = text
    crash = _read_tail(log_file.parent / "crash.log", CRASH_TAIL_BYTES)
    if crash and crash.strip():
        out["logs/crash.log"] = crash
    return out


def schema_text() -> str:
    return resources.files("streamdoctor").joinpath("data/report.schema.json").read_text(encoding="utf-8")


def prepare(
    report: Report,
    *,
    redact_user: bool = True,
    pseudonymize_hosts: bool = False,
    extra_secrets: Iterable[str] = (),
    with_files: bool = False,
) -> Prepared:
    """Redact the report (and, with_files, the logs and raw outputs) and render the summary; with_files also
    renders every member of the zip. Nothing is written to disk except the pseudonym map."""
    pseudonyms = PseudonymMap.load() if pseudonymize_hosts else None
    redactor = Redactor(redact_user=redact_user, pseudonymize_hosts=pseudonymize_hosts,
                        extra_secrets=extra_secrets, pseudonyms=pseudonyms)
    if pseudonymize_hosts:
        _learn_hosts(redactor, report)
    plain = to_jsonable(report)
    fixes = facts.applied_fixes()
    logs = _logs() if with_files else {}
    # Secrets are removed by value wherever they appear, so values are learned before they are removed: a dry
    # pass over the report learns what its settings and headers hold; the logs, redacted next, teach the rest
    # before the report's real pass. The final byte scan covers anything still left.
    redactor.learn(plain, fixes)
    texts: dict[str, str] = {name: redactor.text(text) for name, text in logs.items()}
    report_dict = redactor.obj(plain)
    redacted = report_from(report_dict)
    report_dict["matrix"] = matrix_json(build_matrix(redacted.results))  # from the redacted results
    if fixes is not None:
        fixes = redactor.obj(fixes)
    if with_files:
        texts.update(_raw_outputs(report_dict))
    svgs = charts.all_charts(redacted) if with_files else {}
    har = har_from_report(redacted)
    captured = capture_files(report_dict, pseudonymize_hosts) if with_files else {}  # probes/path/ pcapng
    files = ["report.html", "summary.txt", "report.json", "report.schema.json", "requests.har",
             *(f"charts/{n}.svg" for n in svgs), *sorted(texts), *sorted(captured), "manifest.json"]
    info = BundleInfo(dict(redactor.counts), redact_user, pseudonymize_hosts, fixes, files)
    summary = render_summary(redacted, info)
    prepared = Prepared(redacted, info, redactor, summary, host_label=_host_label(redactor))
    if pseudonyms is not None:
        pseudonyms.save()  # the way back from pseudonyms to real names stays on this laptop only
    if not with_files:
        return prepared
    members: dict[str, bytes] = {
        "report.html": render_html(redacted, info, svgs).encode("utf-8"),
        "summary.txt": summary.encode("utf-8"),
        # compact: a thorough run holds thousands of samples, and the C encoder only runs without indent
        "report.json": json.dumps(report_dict, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        "report.schema.json": schema_text().encode("utf-8"),
        "requests.har": json.dumps(har, indent=1, ensure_ascii=False).encode("utf-8"),
    }
    for name, svg in svgs.items():
        members[f"charts/{name}.svg"] = ('<?xml version="1.0" encoding="UTF-8"?>\n' + svg).encode("utf-8")
    for name, text in sorted(texts.items()):
        members[name] = text.encode("utf-8")
    members.update(captured)
    for name in list(members):  # the last line of defence, over the final bytes of every file
        members[name], n = redactor.scrub_bytes(members[name])
        prepared.late_scrubs += n
    if prepared.late_scrubs:
        log.warning("bundle: the final scan removed %d secret(s) the first pass missed", prepared.late_scrubs)
    members["manifest.json"] = _manifest(prepared, members, fixes)
    prepared.members = members
    return prepared


def _manifest(prepared: Prepared, members: dict[str, bytes], fixes: Any) -> bytes:
    manifest = {
        "app": "streamdoctor",
        "app_version": __version__,
        "report_app_version": prepared.report.app_version,
        "bundle_format": BUNDLE_FORMAT,
        "schema_version": prepared.report.schema_version,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "platform": {"system": platform.system(), "release": platform.release(),
                     "python": platform.python_version()},
        # Which SDK, Qt and HTTP stack made this bundle (the locked versions in a frozen build).
        "build": {key: value for key, value in build_info().items() if key in ("frozen", "packages", "built_with")},
        "redaction": {"counts": prepared.info.redactions, "user_name_redacted": prepared.info.redact_user,
                      "hosts_pseudonymized": prepared.info.pseudonymize_hosts,
                      "final_scan_removals": prepared.late_scrubs},
        "files": [{"path": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                  for name, data in members.items()],
    }
    data = json.dumps(manifest, indent=1, ensure_ascii=False).encode("utf-8")
    return prepared.redactor.scrub_bytes(data)[0]


def zip_bytes(members: dict[str, bytes], created: float) -> bytes:
    buf = io.BytesIO()
    stamp = time.gmtime(created)[:6]
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return buf.getvalue()


def _host_label(redactor: Redactor) -> str:
    """This computer's name for the zip's file name (its pseudonym when host names are pseudonymized)."""
    try:
        host = socket.gethostname() or "laptop"
    except OSError:
        host = "laptop"
    if redactor.pseudonymize_hosts and redactor.pseudonyms is not None:
        host = redactor.pseudonyms.host(host)
    return re.sub(r"[^A-Za-z0-9-]+", "-", host.split(".")[0]).strip("-")[:40] or "laptop"


def bundle_name(host_label: str, created: float) -> str:
    return f"streamdoctor-{host_label}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(created))}.zip"


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view[:1 << 20])
        view = view[n:]


def _save_error(exc: OSError, folder: Path, size: int) -> BundleWriteError:
    where = str(folder)
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return BundleWriteError(_("not enough free space in {folder} to save the bundle (it needs about {kb} KB); "
                                  "free some space or choose another folder", folder=where, kb=max(1, size // 1024)))
    if exc.errno == errno.EROFS:
        return BundleWriteError(_("cannot save the bundle in {folder}: the folder is read-only; choose another folder",
                                  folder=where))
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return BundleWriteError(_("cannot save the bundle in {folder}: permission denied; choose a folder you can "
                                  "write to (e.g. Documents)", folder=where))
    if isinstance(exc, NotADirectoryError | FileExistsError) or exc.errno == errno.ENOTDIR:
        return BundleWriteError(_("cannot save the bundle in {folder}: it is not a folder; choose a folder",
                                  folder=where))
    return BundleWriteError(_("cannot save the bundle in {folder}: {reason}; choose another folder", folder=where,
                              reason=str(exc.strerror or exc)))


@contextmanager
def in_language(report: Report, language: str | None) -> Iterator[Report]:
    """The report, and every text rendered inside the block, in `language` (e.g. "en" for IT who may not read the
    user's language); None keeps the current one. Only this thread of control changes language: a wizard that
    saves the bundle on a worker keeps speaking the user's language. A report read back from JSON has plain
    texts, which stay as they were saved."""
    if not language:
        yield report
        return
    code = i18n.normalize(language)
    if code is None:
        raise UserError(_("{language} is not a language this app speaks; choose one of {codes}",
                          language=repr(language), codes=", ".join(i18n.SUPPORTED)))
    with i18n.using(code):
        yield i18n.relocalize(report, code)


def write_bundle(
    report: Report,
    dest_dir: str | os.PathLike[str],
    *,
    redact_user: bool = True,
    pseudonymize_hosts: bool = False,
    extra_secrets: Iterable[str] = (),
    language: str | None = None,
) -> Path:
    """Write the diagnostic bundle for IT into dest_dir and return the zip's path.

    extra_secrets: values to remove wherever they appear (e.g. an API key typed into the GUI that is not in
    the environment). language: the language of summary.txt, report.html and report.json's texts (a SUPPORTED
    code, e.g. "en" when IT reads English); None: the user's current language. Raises BundleWriteError (a
    UserError, one line) when the folder cannot take the file; no partial file is left behind in that case.
    """
    with in_language(report, language) as localized:
        prepared = prepare(localized, redact_user=redact_user, pseudonymize_hosts=pseudonymize_hosts,
                           extra_secrets=extra_secrets, with_files=True)
    created = time.time()
    data = zip_bytes(prepared.members, created)
    folder = Path(dest_dir).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not folder.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "not a directory", str(folder))
    except OSError as exc:
        raise _save_error(exc, folder, len(data)) from None
    name = bundle_name(prepared.host_label, created)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".streamdoctor-", suffix=".zip.part")
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        final = folder / name
        n = 2
        while final.exists():  # two bundles in the same second: never overwrite the first
            final = folder / name.replace(".zip", f"-{n}.zip")
            n += 1
        os.replace(tmp, final)
        tmp = None
    except OSError as exc:
        raise _save_error(exc, folder, len(data)) from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    log.info("bundle written: %s (%d bytes, %d files)", final.name, len(data), len(prepared.members))
    return final


__all__ = ["BundleWriteError", "Prepared", "in_language", "is_secret_name", "prepare", "write_bundle"]
