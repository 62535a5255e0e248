"""`streamdoctor watch`: the background watch, headless. Its arguments are in parser.py (registered into the CLI's
parser with one call, without importing this module); this is what runs the command.

    streamdoctor watch [--base-url URL | --lab PROFILE] [--duration S] [--max-events N] [--notify]
    streamdoctor watch --status [--json]      what the record says so far (works while a watch runs)
    streamdoctor watch --export FOLDER        the diagnostic bundle with the timeline and the correlations
    streamdoctor watch --stop                 stop the running watch
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..cancel import CancelToken
from ..errors import UserError
from ..fixes.atomic import atomic_write
from ..i18n import _, fmt_num, ngettext
from .analysis import analyse, ending_text, summary_lines
from .core import WatchConfig, Watcher, holds_for_cut
from .notify import notify
from .pidfile import pid_file, running_pid
from .store import Store, StoreError, default_path

MAX_DURATION_S = 90 * 86400.0  # --duration beyond a quarter is a typo


def _db(args: argparse.Namespace) -> Path:
    return Path(args.db).expanduser() if args.db else default_path()


def cmd_watch(args: argparse.Namespace) -> int:
    if getattr(args, "it_language", None) and not args.export:
        raise UserError(_("--it-language chooses the language of the bundle for IT: add --export FOLDER"))
    db = _db(args)
    try:
        if args.stop:
            return _stop(db)
        if args.status:
            return _status(db, args.json)
        if args.export:
            return _export(db, args.export, getattr(args, "it_language", None))
        return _run(args, db)
    except StoreError as exc:
        raise UserError(str(exc)) from exc


def _stop(db: Path) -> int:
    pid = running_pid(db)
    if pid is None:
        print(_("No watch is running."))
        return 0
    os.kill(pid, signal.SIGTERM)
    print(_("Stopped the watch (pid {pid}).", pid=str(pid)))
    return 0


def _status(db: Path, as_json: bool) -> int:
    with Store(db, readonly=True) as store:
        events = [e.as_dict() for e in store.events()]
        a = analyse(events, store.states())
    a["running_pid"] = running_pid(db)
    if as_json:
        json.dump(a, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(_("Watching (pid {pid}).", pid=str(a["running_pid"])) if a["running_pid"] else _("Not watching now."))
        for line in summary_lines(a):
            print(line)
    return 1 if a["cuts"] or a["outages"] else 0


def _export(db: Path, folder: str, language: str | None = None) -> int:
    from ..bundle import write_bundle
    from .report import watch_report

    report = watch_report(db)
    path = write_bundle(report, folder, language=language)
    print(_("Bundle for IT: {path}", path=str(path)))
    return 0


def _config(args: argparse.Namespace, base_url: str, ca_file: str) -> WatchConfig:
    """The watch's settings from the arguments; bad values are a UserError before anything is opened."""
    if args.duration is not None and not 0 < args.duration <= MAX_DURATION_S:
        raise UserError(_("--duration {value:g} is out of range; give 1 to {most:.0f} seconds", value=args.duration,
                          most=MAX_DURATION_S))
    if args.max_events is not None and args.max_events < 1:
        raise UserError(_("--max-events must be at least 1"))
    if args.cut is not None and not 1 <= args.cut <= 3600:
        raise UserError(_("--cut {value:g} is out of range; give the measured cut in seconds (1 to 3600)",
                          value=args.cut))
    holds = holds_for_cut(args.cut)
    if args.holds:
        try:
            holds = [float(x) for x in args.holds.split(",") if x.strip()]
        except ValueError:
            raise UserError(_("--holds '{value}' is not a list of seconds like 20,60", value=args.holds)) from None
        if not holds or any(not 0.5 <= h <= 3600 for h in holds):
            raise UserError(_("--holds: each hold must be between 0.5 and 3600 seconds"))
    stream_every = None
    if args.stream_every is not None:
        if not 0.01 <= args.stream_every <= 24 * 60:
            raise UserError(_("--stream-every must be between 0.01 and 1440 minutes"))
        stream_every = args.stream_every * 60
    for name in ("heartbeat", "poll", "response_timeout", "connect_timeout"):
        if not 0.2 <= getattr(args, name) <= 3600:
            raise UserError(_("{option} must be between 0.2 and 3600 seconds", option="--" + name.replace("_", "-")))
    return WatchConfig(base_url=base_url, holds_s=holds, heartbeat_s=args.heartbeat, state_poll_s=args.poll,
                       duration_s=args.duration, max_events=args.max_events, ca_file=ca_file,
                       response_timeout_s=args.response_timeout, connect_timeout_s=args.connect_timeout,
                       proxy=_client_proxy(base_url), stream_every_s=stream_every, api_key=_api_key(args),
                       model=args.model or "")


def _api_key(args: argparse.Namespace) -> str:
    """The key for the occasional stream: the environment's, or the lab's own in a lab run. Never stored."""
    key = os.environ.get("ANTHROPIC_API_KEY", "")
    if not key and args.lab:
        from ..lab import LAB_API_KEY

        key = LAB_API_KEY
    if args.stream_every is not None and not key:
        raise UserError(_("--stream-every needs an API key in ANTHROPIC_API_KEY"))
    return key


def _client_proxy(base_url: str) -> str | None:
    """The proxy the clients would take for the API (environment variables, as the SDK and Claude Code)."""
    import urllib.request

    if urllib.request.proxy_bypass(base_url.split("://", 1)[-1].split("/", 1)[0]):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get("https" if base_url.startswith("https") else "http") or None


@contextlib.contextmanager
def _signals(cancel: CancelToken) -> Iterator[None]:
    def handler(signum: int, frame: Any) -> None:
        cancel.cancel()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _run(args: argparse.Namespace, db: Path) -> int:
    from ..cli import lab_or_real

    _config(args, "http://127.0.0.1", "")  # validate first: bad input must not leave a record or a pid file
    other = running_pid(db)
    if other is not None:
        raise UserError(_("a watch is already running (pid {pid}); stop it with `streamdoctor watch --stop`",
                          pid=str(other)))
    cancel = CancelToken()
    with lab_or_real(args.lab, args.base_url, args.ca_file) as (base_url, _overrides, ca_file), Store(db) as store, \
            _signals(cancel):
        cfg = _config(args, base_url, ca_file)
        atomic_write(pid_file(db), json.dumps({"pid": os.getpid(), "started": time.time()}).encode(), mode=0o600)
        try:
            holds = ", ".join(_("{secs} s", secs=fmt_num(h, "g")) for h in cfg.holds_s)
            print(_("Watching {url} (holds {holds}); record: {db}. Stop with Ctrl-C or `streamdoctor watch --stop`.",
                    url=base_url, holds=holds, db=str(db)), flush=True)
            summary = Watcher(cfg, store, cancel, on_event=_printer(args.notify)).run()
        finally:
            with contextlib.suppress(OSError):
                pid_file(db).unlink()
    print(ngettext("Stopped after {secs:.0f} s: {cuts} cut, {events} events recorded.",
                   "Stopped after {secs:.0f} s: {cuts} cuts, {events} events recorded.", summary.cuts,
                   secs=summary.duration_s, cuts=summary.cuts, events=summary.events))
    return 0


def _printer(want_notify: bool) -> Any:
    def on_event(kind: str, data: dict[str, Any]) -> None:
        stamp = time.strftime("%H:%M:%S")
        if kind == "cut":
            line: str = _("connection {how} after {secs:.1f} s of silence", how=ending_text(str(data.get("ending"))),
                     secs=float(data.get("silence_s") or 0))
            if want_notify:
                notify(_("Stream Doctor caught a cut"), line)
        elif kind in ("change", "wake", "outage", "recovered", "recheck"):
            line = kind + ": " + json.dumps({k: v for k, v in data.items() if k != "fresh"}, default=str)[:200]
        else:
            return
        print(f"{stamp} {line}", flush=True)

    return on_event
