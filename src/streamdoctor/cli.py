"""The headless interface: `streamdoctor check | lab ...`, readable tables or JSON, documented exit codes.

Exit codes: 0 healthy, 1 a problem was found, 2 could not test (bad input, refused key, no answer...).
Errors become one line on stderr here; the log file keeps the details.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO
from urllib.parse import urlsplit

from . import __version__
from .cancel import CancelToken
from .diagnosis import diagnose
from .errors import BadURLError, UserError
from .model import Report, Severity, Status, to_jsonable

EXIT_HEALTHY, EXIT_PROBLEM, EXIT_UNTESTED = 0, 1, 2
DEFAULT_BASE_URL = "https://api.anthropic.com"


def validate_base_url(url: str) -> str:
    """Accept http(s)://host[:port][/path]; anything else is a one-line error saying what a good one is."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises ValueError on a bad port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadURLError(f"'{url}' is not a usable URL; give one like https://api.anthropic.com")
    del port
    return url.strip().rstrip("/")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="streamdoctor",
        description="Finds out why Claude's streamed answers are cut on this network. "
        "Without a command it opens the wizard.",
    )
    p.add_argument("--version", action="version", version=f"streamdoctor {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log to the terminal too")
    p.add_argument("--lab", metavar="PROFILE", help="run the wizard against the built-in simulated API")
    p.add_argument("--self-test", action="store_true", help="walk the wizard headless on the lab; exit 0/1")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("check", help="run the checks and print a verdict (exit 0 healthy, 1 problem, 2 untested)")
    c.add_argument("--base-url", help="API endpoint or gateway (default: $ANTHROPIC_BASE_URL or api.anthropic.com)")
    c.add_argument("--lab", metavar="PROFILE", help="test against the built-in simulated API with this fault profile")
    c.add_argument("--json", action="store_true", help="print the full report as JSON")
    c.add_argument("--quick", action="store_true", help="only the fast checks")
    c.add_argument("--model", help="model for the streaming test")
    c.set_defaults(func=cmd_check)

    lab = sub.add_parser("lab", help="the built-in simulated API")
    lab_sub = lab.add_subparsers(dest="lab_command", metavar="ACTION")
    lab_sub.required = True
    ll = lab_sub.add_parser("list", help="list the fault profiles")
    ll.set_defaults(func=cmd_lab_list)
    ls = lab_sub.add_parser("serve", help="serve a profile until Ctrl-C")
    ls.add_argument("--profile", default="clean")
    ls.add_argument("--host", default="127.0.0.1")
    ls.add_argument("--port", type=_port, default=0)
    ls.set_defaults(func=cmd_lab_serve)
    return p


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a port number (0-65535)") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (0-65535)")
    return value


# --- check ----------------------------------------------------------------------------------------------


@contextmanager
def lab_or_real(lab_profile: str | None, base_url: str | None) -> Iterator[tuple[str, dict[str, Any], str]]:
    """Yield (base_url, probe overrides, ca_file): the in-process lab when a profile is given, else the real URL."""
    if lab_profile:
        from .lab import LAB_PROBE_LIMITS, LabRuntime, get_profile

        profile = get_profile(lab_profile)
        with LabRuntime(profile) as lab:
            overrides = {**LAB_PROBE_LIMITS, **profile.probe_overrides}
            yield lab.url, overrides, ""
        return
    yield validate_base_url(base_url or os.environ.get("ANTHROPIC_BASE_URL") or DEFAULT_BASE_URL), {}, ""


def make_context(base_url: str, overrides: dict[str, Any], args: argparse.Namespace, ca_file: str = "") -> Any:
    from .probes import ProbeContext

    ctx = ProbeContext(base_url=base_url, quick=bool(args.quick), ca_file=ca_file, lab_profile=args.lab or "")
    key = os.environ.get("ANTHROPIC_API_KEY", "")
    if args.lab and not key:
        from .lab import LAB_API_KEY

        key = LAB_API_KEY
    ctx.api_key = key
    if getattr(args, "model", None):
        ctx.model = args.model
    for name, value in overrides.items():
        if hasattr(ctx, name):
            setattr(ctx, name, value)
        else:
            ctx.options[name] = value
    return ctx


def run_check(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    from .probes import select
    from .runner import run_probes

    cancel = CancelToken()
    with lab_or_real(args.lab, args.base_url) as (base_url, overrides, ca_file), _cancel_on_sigint(cancel):
        ctx = make_context(base_url, overrides, args, ca_file)
        live = _LiveLine(sys.stderr) if not args.json and sys.stderr is not None and sys.stderr.isatty() else None
        results = run_probes(select(args.quick), ctx, progress=live.update if live else _ignore, cancel=cancel)
        if live:
            live.clear()
    if cancel.cancelled:
        print("Cancelled.", file=sys.stderr)
        return EXIT_UNTESTED
    verdict = diagnose(results)
    report = Report(
        target={"base_url": base_url, "lab_profile": args.lab or "", "quick": bool(args.quick)},
        results=results,
        verdict=verdict,
        app_version=__version__,
    )
    if args.json:
        json.dump(to_jsonable(report), out, indent=2)
        out.write("\n")
    else:
        print_report(report, out)
    return verdict.exit_code


def cmd_check(args: argparse.Namespace) -> int:
    return run_check(args)


_MARK = {Status.OK: "ok  ", Status.WARN: "warn", Status.FAIL: "FAIL", Status.ERROR: "??  ",
         Status.SKIPPED: "skip", Status.CANCELLED: "stop"}


def print_report(report: Report, out: TextIO) -> None:
    from .probes import all_probes

    titles = {p.name: p.title for p in all_probes()}
    target = report.target["base_url"] + (f"  (lab profile {report.target['lab_profile']})"
                                          if report.target.get("lab_profile") else "")
    print(f"Stream Doctor {report.app_version}: {target}\n", file=out)
    for r in report.results:
        print(f"  [{_MARK[r.status]}] {titles.get(r.probe, r.probe):<24} {r.summary}", file=out)
    v = report.verdict
    print(f"\nVerdict: {v.overall.value.upper()}: {v.headline}", file=out)
    for f in v.findings:
        if f.severity is Severity.INFO and v.overall.value != "healthy":
            continue
        print(f"\n  [{f.severity.value}] {f.title}", file=out)
        print(f"    {f.plain}", file=out)
        for e in f.evidence:
            print(f"    - {e.text()}", file=out)
        if f.ask_it:
            print(f"    Ask IT: {f.ask_it}", file=out)
        if f.fix_ids:
            print(f"    Fixes: {', '.join(f.fix_ids)}", file=out)


class _LiveLine:
    """One overwritten status line on a terminal; at most ~10 updates a second."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.lock = threading.Lock()
        self.last = 0.0

    def update(self, p: Any) -> None:
        now = time.monotonic()
        with self.lock:
            if now - self.last < 0.1 and p.fraction != 1.0:
                return
            self.last = now
            self.stream.write(f"\r\033[K{p.probe}: {p.detail}"[:120])
            self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r\033[K")
        self.stream.flush()


def _ignore(_: Any) -> None:
    pass


@contextmanager
def _cancel_on_sigint(cancel: CancelToken) -> Iterator[None]:
    """First Ctrl-C cancels cleanly (sockets closed, partial results kept); a second one kills."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        if cancel.cancelled:
            raise KeyboardInterrupt
        cancel.cancel()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# --- lab -------------------------------------------------------------------------------------------------


def cmd_lab_list(args: argparse.Namespace) -> int:
    from .lab import PROFILES

    width = max(len(n) for n in PROFILES)
    for name, profile in PROFILES.items():
        print(f"{name:<{width}}  {profile.description}")
    return 0


def cmd_lab_serve(args: argparse.Namespace) -> int:
    from .lab import LAB_API_KEY, REFUSED_API_KEY, LabRuntime, get_profile

    profile = get_profile(args.profile)
    stop = threading.Event()
    with LabRuntime(profile, host=args.host, port=args.port) as lab:
        print(f"Lab profile '{profile.name}' at {lab.url}", flush=True)
        print(f"  {profile.description}")
        print(f"  Any API key works (e.g. {LAB_API_KEY}) except {REFUSED_API_KEY}. Ctrl-C stops.", flush=True)
        print(f"  Try: ANTHROPIC_BASE_URL={lab.url} streamdoctor check", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


# --- entry -----------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run a CLI command; returns the exit code. UserErrors become one line on stderr (exit 2)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except UserError as exc:
        print(f"streamdoctor: error: {exc}", file=sys.stderr)
        return EXIT_UNTESTED
