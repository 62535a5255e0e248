"""The nginx-streaming fix: stop a local nginx from buffering the API's event stream (failure mode 3).

Finds the location that proxies to the API in `nginx -T`, previews a patch (proxy_buffering off, proxy_cache
off, HTTP/1.1 upstream with Connection "", read/send timeouts from the measurement), writes it (journaled,
atomically), validates with `nginx -t` (a failure undoes the edit at once), reloads, and verifies by streaming
through nginx again. Undo restores the files byte for byte and reloads.

Which nginx: `nginx` on PATH, or the command in STREAMDOCTOR_NGINX_CMD (e.g. "nginx -p /srv/gw -c gw.conf"),
whose extra arguments are passed to -T, -t and -s reload alike.
"""

from __future__ import annotations

import math
import os
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from ..i18n import N_, Msg, _
from ..model import FixPlan, Report
from ..safeio import read_regular
from . import journal
from .base import Fix, Shown, VerifyOutcome, finding_causes, probe_data, text_diff
from .nginx_conf import NginxParseError, find_api_locations, patch_location, split_dump, streaming_directives

NGINX_CMD_ENV = "STREAMDOCTOR_NGINX_CMD"
MIN_READ_TIMEOUT_S = 600  # the SDKs' own default request timeout
_CMD_TIMEOUT_S = 30


def nginx_command() -> list[str]:
    custom = os.environ.get(NGINX_CMD_ENV, "").strip()
    if custom:
        return shlex.split(custom)
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx",
                                                        "/opt/homebrew/bin/nginx") if Path(p).exists()), None)
    if not found:
        raise journal.FixError(_("nginx was not found on this computer; if it runs elsewhere, give its config to "
                                 "your admin (see the report), or set {variable}", variable=NGINX_CMD_ENV))
    return [found]


# nginx reads its configuration as bytes: a comment in Latin-1 is fine to nginx and must be fine to us. Text is
# decoded with surrogateescape so every byte survives the round trip unchanged (issue 14 item 8).
CONF_ERRORS = "surrogateescape"


def read_conf(path: Path) -> str:
    """A configuration file as text; bytes that are not UTF-8 are kept (surrogateescape), never an error."""
    try:
        return read_regular(path).decode("utf-8", CONF_ERRORS)
    except OSError as exc:
        raise journal.FixError(_("cannot read {path}: {error}", path=str(path), error=exc.strerror or str(exc))
                               ) from None


def conf_bytes(text: str) -> bytes:
    return text.encode("utf-8", CONF_ERRORS)


def for_display(text: str) -> str:
    """Text safe to print: bytes that are not UTF-8 shown as U+FFFD (the file itself is never changed so)."""
    return conf_bytes(text).decode("utf-8", "replace")


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, encoding="utf-8", errors=CONF_ERRORS,
                              timeout=_CMD_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise journal.FixError(_("could not run {command}: {error}", command=" ".join(cmd), error=str(exc))
                               ) from None


def _last_line(text: str) -> str:
    lines = [line for line in for_display(text).strip().splitlines() if line.strip()]
    return lines[-1] if lines else _("no output")


def read_timeout_for(report: Report) -> int:
    """Long enough for the slowest silence measured (twice over), never below the SDKs' 600 s."""
    stream = probe_data(report, "stream")
    idle = probe_data(report, "idle")
    longest = max(float(stream.get("time_to_first_byte_s") or 0), float(stream.get("max_gap_s") or 0),
                  float(idle.get("cut_s") or 0))
    return max(MIN_READ_TIMEOUT_S, math.ceil(2 * longest))


class NginxStreamingFix(Fix):
    id = "nginx-streaming"
    title = Shown(N_("Stop nginx from holding back streamed answers"))
    needs_admin = True
    probes = ("stream",)

    def __init__(self, command: list[str] | None = None) -> None:
        self._command = command

    def command(self) -> list[str]:
        return list(self._command) if self._command else nginx_command()

    def applies(self, report: Report) -> bool:
        stream = probe_data(report, "stream")
        return "buffering" in finding_causes(report) or stream.get("http_status") == 504

    def _patches(self, report: Report) -> tuple[dict[str, tuple[str, str]], list[Msg]]:
        """{file: (now, after)} and one line per location found."""
        self.require(report)
        cmd = self.command()
        dump = _run([*cmd, "-T"])
        if dump.returncode != 0:
            raise journal.FixError(_("'nginx -T' failed ({error}); run Stream Doctor as an administrator, or fix "
                                     "the nginx configuration first", error=_last_line(dump.stderr)))
        files = split_dump(dump.stdout)
        base_url = str(report.target.get("base_url") or "")
        try:
            locations = find_api_locations(files, base_url)
        except NginxParseError as exc:
            raise journal.FixError(_("could not read the nginx configuration ({error})", error=str(exc))) from None
        if not locations:
            raise journal.FixError(_("no nginx location proxies to the API or serves {url}; the buffering proxy is "
                                     "somewhere else: send the report to IT", url=base_url))
        wanted = streaming_directives(read_timeout_for(report))
        patches: dict[str, tuple[str, str]] = {}
        lines: list[Msg] = []
        for loc in sorted(locations, key=lambda x: (x.file, -x.location.start)):
            now = read_conf(Path(loc.file))
            if now != files[loc.file]:
                raise journal.FixError(_("{path} changed since nginx loaded it; reload nginx and try again",
                                         path=loc.file))
            base = patches.get(loc.file, (now, now))[1]
            patches[loc.file] = (now, patch_location(base, loc.location, wanted))
            # TRANSLATORS: "location" is the nginx directive; {why} is technical ("proxy_pass to https://...")
            lines.append(_("location {location} in {path} ({why})", location=" ".join(loc.location.args),
                           path=loc.file, why=loc.why))
        return patches, lines

    def preview(self, report: Report) -> FixPlan:
        patches, lines = self._patches(report)
        cmd = " ".join(self.command())
        body = "\n".join(text_diff(for_display(a), for_display(b), f) for f, (a, b) in patches.items())
        return self.plan(_("nginx buffers the event stream, so answers arrive in one lump (or time out). Changes "
                           "{locations}. Then checks with '{command} -t' and reloads with '{command} -s reload'.",
                           locations="; ".join(lines), command=cmd), body)

    def apply(self, report: Report) -> str:
        from .filelock import fix_lock

        with fix_lock():  # the files are read and patched under the lock, like every other fix
            return self._apply(report)

    def _apply(self, report: Report) -> str:
        patches, lines = self._patches(report)
        cmd = self.command()
        with journal.Transaction(self.id, self.journal_title(), {"command": cmd, "files": list(patches)}) as tx:
            # Journaled first, so undo reloads nginx after the files are back (steps are undone last-first).
            tx.action({"kind": "nginx-reload", "command": cmd}, lambda: None)
            for path, (_before, after) in patches.items():
                tx.write_file(Path(path), conf_bytes(after))
            check = _run([*cmd, "-t"])
            if check.returncode != 0:
                raise journal.FixError(_("nginx rejected the change ({error}); nothing was changed",
                                         error=_last_line(check.stderr)))
            _reload(cmd)
            tx.note("; ".join(str(line.in_language("en")) for line in lines))
        return tx.record.id

    def verify(self, report: Report, record_id: str) -> VerifyOutcome:
        from .rerun import rerun, verdict_after

        fresh = rerun(report, ["stream"])
        stream = fresh.get("stream")
        if stream is None or not stream.data:
            return VerifyOutcome(False, _("the stream test could not run (no API key?); run the check again later"))
        verdict = verdict_after(report, fresh)
        before = _pct(probe_data(report, "stream").get("largest_burst_share"))
        after = _pct(stream.data.get("largest_burst_share"))
        measured = before is not None and after is not None
        if any(f.cause == "buffering" for f in verdict.findings):
            if measured:
                return VerifyOutcome(False, _("the answer still arrives in one lump (largest 0.1 s burst: "
                                              "{before:.0f} % of the answer before, {after:.0f} % now); another "
                                              "proxy on the way may buffer too", before=before, after=after))
            return VerifyOutcome(False, _("the answer still arrives in one lump; another proxy on the way may buffer "
                                          "too"))
        if stream.data.get("outcome") != "completed":
            return VerifyOutcome(False, _("the stream through nginx did not complete ({summary})",
                                          summary=stream.summary))
        if measured:
            return VerifyOutcome(True, _("answers now stream through nginx word by word (largest 0.1 s burst: "
                                         "{before:.0f} % of the answer before, {after:.0f} % now)", before=before,
                                         after=after))
        return VerifyOutcome(True, _("answers now stream through nginx word by word"))


def _pct(x: Any) -> float | None:
    """A share from the report in percent, for a placeholder; None when it was not measured."""
    return float(x) * 100 if isinstance(x, int | float) and not isinstance(x, bool) else None


def _reload(cmd: list[str]) -> None:
    """`nginx -s reload`, then wait (bounded) until the old workers are gone: -s only sends the signal, and a
    verification started at once could still be served by a worker with the old configuration."""
    master = _master(cmd)
    old = _workers(master)
    result = _run([*cmd, "-s", "reload"])
    if result.returncode != 0:
        raise journal.FixError(_("nginx did not reload ({error}); is it running?", error=_last_line(result.stderr)))
    deadline = time.monotonic() + 10
    while master is not None and old and time.monotonic() < deadline:
        now = _workers(master)
        if now and not now & old:
            return
        time.sleep(0.05)


def _master(cmd: list[str]) -> int | None:
    """The master's pid: from `-g "pid FILE;"` in the command, a `pid` directive, or the usual places."""
    candidates = [m.group(1) for a in cmd for m in [re.search(r"\bpid\s+([^;\s]+)\s*;", a)] if m]
    dump = _run([*cmd, "-T"]).stdout
    candidates += re.findall(r"(?m)^\s*pid\s+([^;\s]+)\s*;", dump)
    candidates += ["/run/nginx.pid", "/var/run/nginx.pid", "/usr/local/var/run/nginx.pid"]
    for path in candidates:
        try:
            return int(Path(path).read_text().strip())
        except (OSError, ValueError):
            continue
    return None


def _workers(master: int | None) -> set[int]:
    if master is None:
        return set()
    import psutil

    try:
        return {p.pid for p in psutil.Process(master).children()}
    except psutil.Error:
        return set()


def _undo_reload(step: dict[str, Any], record: journal.JournalRecord) -> None:
    cmd = list(step["command"])
    if _run([*cmd, "-t"]).returncode != 0:
        raise journal.FixError(_("the restored nginx configuration does not pass 'nginx -t'"))
    try:
        _reload(cmd)
    except journal.FixError as exc:
        record.notes.append(f"after undo: {exc}")


# What a journaled nginx command may hold besides the binary: nginx's own path options with absolute paths, and -g
# with only these harmless directives (a -g "load_module ..." would load code).
_PATH_OPTIONS = ("-p", "-c", "-e")
_SAFE_GLOBALS = re.compile(r"(\s*(pid\s+/[^;\s]+|daemon\s+(on|off)|master_process\s+(on|off)"
                           r"|error_log\s+/[^;\s]+(\s+[a-z]+)?)\s*;)+\s*")


def nginx_argv_is_safe(cmd: Any) -> bool:
    """Whether a command from the journal is an nginx invocation we could have made: the nginx command this
    environment configures now (STREAMDOCTOR_NGINX_CMD or nginx on PATH), or an absolute path to a binary named
    nginx followed only by -p/-c/-e with absolute paths and -g with harmless directives."""
    if not isinstance(cmd, list) or not cmd or not all(isinstance(a, str) and a and "\0" not in a for a in cmd):
        return False
    try:
        if cmd == nginx_command():
            return True
    except journal.FixError:
        pass
    if not os.path.isabs(cmd[0]) or os.path.basename(cmd[0]) != "nginx":
        return False
    rest = cmd[1:]
    if len(rest) % 2:
        return False
    for flag, value in zip(rest[::2], rest[1::2], strict=True):
        if flag in _PATH_OPTIONS and os.path.isabs(value):
            continue
        if flag == "-g" and _SAFE_GLOBALS.fullmatch(value):
            continue
        return False
    return True


def _validate_reload_step(step: dict[str, Any], record: journal.JournalRecord) -> None:
    if not nginx_argv_is_safe(step.get("command")):
        raise journal.RefusedRecordError(_("record {record}: refused the nginx command {command}", record=record.id,
                                           command=repr(step.get("command"))))


journal.register_undo("nginx-reload", _undo_reload, _validate_reload_step)
