"""The headless interface: `streamdoctor check | lab ...`, readable tables or JSON, documented exit codes.

Exit codes: 0 healthy, 1 a problem was found, 2 could not test (bad input, refused key, no answer...).
Errors become one line on stderr here; the log file keeps the details.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import signal
import stat
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from . import __version__, i18n, safeout
from .cancel import CancelToken
from .errors import UserError
from .i18n import _
from .i18n.formatting import display_width, pad
from .model import Report, Severity, Status, to_jsonable
from .urls import sends_key_in_cleartext, validate_base_url

EXIT_HEALTHY, EXIT_PROBLEM, EXIT_UNTESTED = 0, 1, 2
DEFAULT_BASE_URL = "https://api.anthropic.com"


# The largest report `--report`/`--from` reads: a full check with 5,000 samples is ~2 MB; 64 MiB is far past any
# real one and keeps /dev/zero or a huge file from being read for ever.
MAX_REPORT_BYTES = 64 * 1024 * 1024


LANG_OPTION = "--lang"


def split_language(argv: Sequence[str]) -> tuple[str | None, list[str]]:
    """(the value of --lang CODE / --lang=CODE, the other arguments). Read before the parser is built, so that
    every text the command makes (and its --help) is in that language, and taken out, so that --lang works before
    or after the command (`streamdoctor check --lang de`). A value we do not speak is a UserError (one line)."""
    value: str | None = None
    rest: list[str] = []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest += args[i:]
            break
        if arg == LANG_OPTION:
            value = args[i + 1] if i + 1 < len(args) else ""
            i += 2
            continue
        if arg.startswith(LANG_OPTION + "="):
            value = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        i += 1
    # the pseudo-language is accepted too, unlisted: for translators and layout checks (docs/translating.md)
    if value is not None and value not in (*i18n.SUPPORTED, i18n.PSEUDO):
        raise UserError(f"--lang {value!r} is not a language this app speaks; choose one of "
                        f"{', '.join(i18n.SUPPORTED)}")
    return value, rest


def language_option(argv: Sequence[str]) -> str | None:
    """The value of --lang in `argv`, or None (see split_language)."""
    return split_language(argv)[0]


def setup_language(argv: Sequence[str]) -> list[str]:
    """Choose the language for this run: --lang, then STREAMDOCTOR_LANG, the saved choice, the OS; returns the
    arguments without --lang. With --lang the environment variable is set too, so the wizard started by the same
    main (and any child) follows it."""
    from .i18n.os_language import ENV, choose

    option, rest = split_language(argv)
    if option:
        os.environ[ENV] = option
    i18n.set_language(choose(option))
    return rest


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="streamdoctor",
        description=_("Finds out why Claude's streamed answers are cut on this network. Without a command it opens "
                      "the wizard."),
    )
    p.add_argument("--version", action="version", version=f"streamdoctor {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help=_("log to the terminal too"))
    p.add_argument(LANG_OPTION, choices=i18n.SUPPORTED, metavar="CODE",
                   help=_("the language to speak ({codes}; default: the system's)", codes=", ".join(i18n.SUPPORTED)))
    p.add_argument("--lab", metavar="PROFILE", help=_("run the wizard against the built-in simulated API"))
    p.add_argument("--self-test", action="store_true", help=_("walk the wizard headless on the lab; exit 0/1"))
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("check",
                       help=_("run the checks and print a verdict (exit 0 healthy, 1 problem, 2 untested)"))
    c.add_argument("--base-url", help=_("API endpoint or gateway (default: $ANTHROPIC_BASE_URL or api.anthropic.com)"))
    c.add_argument("--lab", metavar="PROFILE",
                   help=_("test against the built-in simulated API with this fault profile"))
    c.add_argument("--json", action="store_true", help=_("print the full report as JSON"))
    c.add_argument("--quick", action="store_true", help=_("only the fast checks"))
    c.add_argument("--model", help=_("model for the streaming test"))
    c.add_argument("--capture", action="store_true", help=_("also capture our own test connections' packet "
                   "headers (needs administrator rights; asks for them) to tell who sent a reset"))
    c.add_argument("--ca-file", metavar="PEM", help=_("also trust this CA as the API's genuine root (a test or "
                   "gateway CA); used for this run only, never installed"))
    # Advanced, not in --help: probe limits scaled down for tests against real networks (the netlab), e.g.
    # --probe-option stall_timeout_s=8; the same names a lab profile's probe_overrides use.
    c.add_argument("--probe-option", action="append", default=[], type=_probe_option, metavar="NAME=VALUE",
                   help=argparse.SUPPRESS)
    c.add_argument("--bundle", metavar="PATH", help=_("also save the diagnostic bundle for IT: a folder to save it "
                   "in, or a file name ending in .zip"))
    _add_it_language(c)
    c.add_argument("--allow-plain-http", action="store_true", help=_("send the API key to an http:// (not https) "
                   "endpoint on another machine without asking"))
    c.add_argument("--user-clients", action="store_true",
                   help=_("also run your installed Claude Code, Node SDK and curl once each with a short prompt "
                        "(they use their own sign-in and may use your quota)"))
    c.add_argument("--read-client-logs", action="store_true",
                   help=_("with your consent: read Claude Code's recent debug logs and session errors on this computer "
                        "(only redacted network lines go into the report)"))
    c.add_argument("--error", metavar="TEXT", type=_error_text,
                   help=_("the error you saw (e.g. \"API Error: Connection closed mid-response\"): the verdict says "
                        "whether what was measured explains it"))
    c.set_defaults(func=cmd_check)

    i = sub.add_parser("idle", help=_("measure after how long silent connections to the API are cut, and how"))
    _add_target_args(i)
    i.add_argument("--quick", action="store_true", help=_("test silences up to 120 s instead of 420 s"))
    i.add_argument("--max", type=float, metavar="S", help=_("longest silence to test, in seconds"))
    i.set_defaults(func=cmd_idle, model=None)

    s = sub.add_parser("stress", help=_("one long streamed answer with every byte timed (uses your API key)"))
    _add_target_args(s)
    s.add_argument("--model", help=_("model to ask"))
    s.add_argument("--size", choices=("quick", "standard", "long"), default="quick",
                   help=_("how long an answer to ask for; the token count and an approximate cost are shown first"))
    s.add_argument("--yes", action="store_true", help=_("do not ask before spending tokens"))
    s.add_argument("--compare", action="store_true",
                   help=_("run again over HTTP/2, and directly when a proxy is in use, to compare (costs more)"))
    s.set_defaults(func=cmd_stress, quick=False)

    b = sub.add_parser("bundle", help=_("run the check and save the diagnostic bundle (zip) for IT; or bundle a "
                       "report saved with `check --json` (--from)"))
    _add_target_args(b)
    b.add_argument("--quick", action="store_true", help=_("only the fast checks"))
    b.add_argument("--model", help=_("model for the streaming test"))
    b.add_argument("--from", dest="from_report", metavar="REPORT_JSON",
                   help=_("bundle this saved report (from `check --json`) instead of running the check"))
    b.add_argument("--out", metavar="FOLDER", default=".", help=_("where to save the zip (default: this folder)"))
    b.add_argument("--keep-user-name", action="store_true", help=_("leave the user name in paths"))
    _add_it_language(b)
    b.add_argument("--pseudonymize-hosts", action="store_true", help=_("replace internal host names and private "
                   "IPs with consistent pseudonyms (the mapping stays on this computer)"))
    b.set_defaults(func=cmd_bundle)

    _add_fix_parser(sub)
    from .watch.parser import add_watch_parser  # the watch registers its own subcommand

    add_watch_parser(sub)

    lab = sub.add_parser("lab", help=_("the built-in simulated API"))
    lab_sub = lab.add_subparsers(dest="lab_command", metavar="ACTION")
    lab_sub.required = True
    ll = lab_sub.add_parser("list", help=_("list the fault profiles"))
    ll.set_defaults(func=cmd_lab_list)
    ls = lab_sub.add_parser("serve", help=_("serve a profile until Ctrl-C"))
    ls.add_argument("--profile", default="clean")
    ls.add_argument("--host", default="127.0.0.1")
    ls.add_argument("--port", type=_port, default=0)
    ls.add_argument("--tls", action="store_true", help=_("serve https://localhost:PORT with a CA made for this run"))
    ls.add_argument("--allow-remote", action="store_true",
                    help=_("allow a --host that is not loopback (other computers can then use the lab)"))
    ls.set_defaults(func=cmd_lab_serve)
    return p


def _add_it_language(p: argparse.ArgumentParser) -> None:
    p.add_argument("--it-language", choices=i18n.SUPPORTED, metavar="CODE",
                   help=_("the language of the bundle's summary.txt, report.html and report.json, for an IT team "
                          "that does not read yours (e.g. en; one of {codes}; default: the language this run speaks)",
                          codes=", ".join(i18n.SUPPORTED)))


def _add_target_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--base-url", help=_("API endpoint or gateway (default: $ANTHROPIC_BASE_URL or api.anthropic.com)"))
    p.add_argument("--lab", metavar="PROFILE",
                   help=_("test against the built-in simulated API with this fault profile"))
    p.add_argument("--json", action="store_true", help=_("print the full report as JSON"))
    p.add_argument("--ca-file", metavar="PEM", help=_("also trust this CA for this run (never installed)"))
    p.add_argument("--probe-option", action="append", default=[], type=_probe_option, metavar="NAME=VALUE",
                   help=argparse.SUPPRESS)  # as for check: scaled-down limits for the netlab
    p.add_argument("--allow-plain-http", action="store_true", help=_("send the API key to an http:// (not https) "
                   "endpoint on another machine without asking"))


def _error_text(text: str) -> str:
    from .error_texts import MAX_TEXT, clean

    if not clean(text):
        raise argparse.ArgumentTypeError(_("give the error text you saw, e.g. --error \"Request timed out\""))
    if len(text) > 4 * MAX_TEXT:
        raise argparse.ArgumentTypeError(_("that is more than {n} characters: paste the error line only",
                                           n=4 * MAX_TEXT))
    return text


def _probe_option(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not sep or not name.isidentifier() or number < 0:
        raise argparse.ArgumentTypeError(_("'{text}' is not NAME=SECONDS (e.g. stall_timeout_s=8)", text=text))
    return name, number


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("'{text}' is not a port number (0-65535)", text=text)) from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(_("{value} is not a port number (0-65535)", value=str(value)))
    return value


# --- check ----------------------------------------------------------------------------------------------


@contextmanager
def lab_or_real(lab_profile: str | None, base_url: str | None,
                ca_file: str | None = None) -> Iterator[tuple[str, dict[str, Any], str]]:
    """Yield (base_url, probe overrides, ca_file): the in-process lab when a profile is given, else the real URL.

    The lab serves TLS with a CA made for this run and is addressed as https://localhost:PORT, so the DNS, TLS,
    ClientHello and HTTP probes test it like the real API; its CA file is deleted when the lab stops. A user's
    --ca-file is trusted the same way (as the genuine root, e.g. a test CA), never installed anywhere."""
    if lab_profile:
        from .lab import LAB_PROBE_LIMITS, LabRuntime, get_profile
        from .lab.tls import LabTLS, serves_tls

        profile = get_profile(lab_profile)
        overrides = {**LAB_PROBE_LIMITS, **profile.probe_overrides}
        if not serves_tls(profile):
            with LabRuntime(profile) as lab:
                yield lab.url, overrides, ""
            return
        with LabTLS() as tls, LabRuntime(profile, ssl_context=tls.server_context(), url_host="localhost") as lab:
            yield lab.url, overrides, tls.ca_file
        return
    checked_ca = ""
    if ca_file:
        from .lab.tls import load_ca_file

        checked_ca = load_ca_file(ca_file)
    url = base_url or os.environ.get("ANTHROPIC_BASE_URL") or DEFAULT_BASE_URL
    safeout.remember_url(url)  # before validating: even the error line must not show its password
    yield validate_base_url(url), {}, checked_ca


def _plain_http_allowed(base_url: str, args: argparse.Namespace) -> bool:
    """Ask before the key goes to an http:// endpoint on another machine (issue 14 item 9). Non-interactive
    runs need --allow-plain-http; without it they stop with one line. (--yes is consent to spend tokens or to
    change a file, not to send a key in cleartext, so it does not count.)"""
    if getattr(args, "allow_plain_http", False):
        return True
    shown = safeout.text(base_url)
    if sys.stdin is None or not sys.stdin.isatty():
        raise UserError(_("not sent: {url} is plain HTTP, so your API key would travel in cleartext; use its "
                          "https:// address, or add --allow-plain-http to send it anyway", url=shown))
    # TRANSLATORS: the answer is read as y/yes in any language; keep [y/N]
    answer = input(_("{url} is plain HTTP: your API key would travel in cleartext. Send it anyway? [y/N] ",
                     url=shown))
    if answer.strip().lower() in ("y", "yes"):
        return True
    print(_("Key not sent: only the checks that need no key will run."), file=sys.stderr)
    return False


def make_context(base_url: str, overrides: dict[str, Any], args: argparse.Namespace, ca_file: str = "") -> Any:
    from .lab.reference import midstream_reset_server
    from .probes import ProbeContext

    ctx = ProbeContext(base_url=base_url, quick=bool(args.quick), ca_file=ca_file, lab_profile=args.lab or "",
                       reference_server=midstream_reset_server)
    key = os.environ.get("ANTHROPIC_API_KEY", "")
    if args.lab:
        from .lab.isolation import lab_key

        key = lab_key(key)  # the user's real key never goes to the lab
    if key and not args.lab and sends_key_in_cleartext(base_url):
        if _plain_http_allowed(base_url, args):
            ctx.options["plain_http_consented"] = True  # the user was told and chose: the finding informs IT
        else:
            key = ""  # declined at the prompt: the key-free checks still run
    ctx.api_key = key
    if getattr(args, "model", None):
        ctx.model = args.model
    for name, value in overrides.items():
        if hasattr(ctx, name):
            setattr(ctx, name, value)
        else:
            ctx.options[name] = value
    ctx.options.update(getattr(args, "extra_options", None) or {})  # set by the idle/stress subcommands
    if getattr(args, "user_clients", False):
        ctx.options["user_clients"] = True  # the user's consent: their own clients may use their quota
    if getattr(args, "capture", False):
        ctx.options["whocut_capture"] = 1.0  # the user's consent to the privileged capture (probes/path/)
    for name, value in getattr(args, "probe_option", None) or []:
        if hasattr(ctx, name):
            setattr(ctx, name, type(getattr(ctx, name))(value))
        else:
            ctx.options[name] = value
    return ctx


def run_check(args: argparse.Namespace, out: TextIO | None = None, probes: Sequence[Any] | None = None) -> int:
    """Run `probes` (default: the check's list, quick or not) and print the report; returns the exit code."""
    out = out or sys.stdout  # looked up at call time, so a redirected or captured stdout is honoured
    from .capture.window import capture_window
    from .probes import select
    from .probes.path.whocut import finish_window
    from .runner import run_probes

    cancel = CancelToken()
    if getattr(args, "bundle", None):
        _bundle_target(args.bundle)  # a bundle name that cannot be used stops here, not after the whole check
    with lab_or_real(args.lab, args.base_url, getattr(args, "ca_file", None)) as (base_url, overrides, ca_file), \
            _cancel_on_sigint(cancel):
        ctx = make_context(base_url, overrides, args, ca_file)
        live = _LiveLine(sys.stderr) if not args.json and sys.stderr is not None and sys.stderr.isatty() else None
        chosen = list(probes) if probes is not None else select(args.quick)
        with capture_window(ctx) as window:  # only with --capture: our test connections' headers (probes/path/)
            results = run_probes(chosen, ctx, progress=live.update if live else _ignore, cancel=cancel)
        results = finish_window(window, results)
        if live:
            live.clear()
    if cancel.cancelled:
        print(_("Cancelled."), file=sys.stderr)
        return EXIT_UNTESTED
    if getattr(args, "read_client_logs", False):
        from .probes.claude_logs import read_claude_logs

        results = [*results, read_claude_logs()]
    verdict = _diagnose(results, base_url)
    report = Report(
        target={"base_url": base_url, "lab_profile": args.lab or "", "quick": bool(args.quick)},
        results=results,
        verdict=verdict,
        app_version=__version__,
    )
    if getattr(args, "error", None):
        from .error_texts import relate

        clients = next((r.data for r in results if r.probe == "env.clients" and isinstance(r.data, dict)), None)
        report.target["user_error"] = relate(args.error, verdict, clients)
    if args.json:
        from . import matrix

        doc = to_jsonable(report)
        doc["matrix"] = matrix.to_json(matrix.build(report.results))  # derived, for readers of the JSON
        out.write(safeout.json_text(doc) + "\n")
    else:
        buf = io.StringIO()
        print_report(report, buf)
        out.write(safeout.text(buf.getvalue()))
    if getattr(args, "bundle", None):
        _save_bundle(report, args, sys.stderr if args.json else out)
    return verdict.exit_code


def cmd_check(args: argparse.Namespace) -> int:
    if getattr(args, "it_language", None) and not getattr(args, "bundle", None):
        raise UserError(_("--it-language chooses the language of the bundle for IT: add --bundle PATH"))
    if not args.quick and not args.lab and os.environ.get("ANTHROPIC_API_KEY"):
        from .probes.base import ProbeContext
        from .probes.stress_plan import plan_for

        # The stress test spends the user's tokens: say how many before it starts (--quick leaves it out).
        print(plan_for(args.model or ProbeContext().model).line(), file=sys.stderr, flush=True)
    return run_check(args)


def load_saved_report(path: str) -> Report:
    """A report saved by `check --json`, or a one-line UserError that says how to make one."""
    from .model import report_from

    shown = repr(path[:200])[1:-1]
    too_large = _("cannot read {path}: larger than {mib} MiB; give a report saved with 'streamdoctor check --json > "
                  "report.json'", path=shown, mib=MAX_REPORT_BYTES // 2**20)
    try:
        info = os.stat(path)  # follows symlinks; a loop is ELOOP here, before anything is opened
        if not stat.S_ISREG(info.st_mode):  # a folder, a FIFO (would block), /dev/zero (would never end)
            raise UserError(_("cannot read {path}: it is not a regular file; give a report saved with 'streamdoctor "
                              "check --json > report.json'", path=shown))
        if info.st_size > MAX_REPORT_BYTES:
            raise UserError(too_large)
        with open(path, "rb") as f:
            raw = f.read(MAX_REPORT_BYTES + 1)
        if len(raw) > MAX_REPORT_BYTES:
            raise UserError(too_large)
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict):
            raise TypeError(f"a JSON {type(data).__name__}, not an object")
        return report_from(data)
    except OSError as exc:
        raise UserError(_("cannot read {path}: {reason}; give a report saved with 'streamdoctor check --json > "
                          "report.json'", path=shown, reason=str(exc.strerror or exc))) from None
    except RecursionError:
        raise UserError(_("{path} is not a Stream Doctor report (nested too deeply); give a report saved with "
                          "'streamdoctor check --json > report.json'", path=shown)) from None
    except (ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise UserError(_("{path} is not a Stream Doctor report ({error}); save one with 'streamdoctor check --json > "
                          "report.json'", path=shown, error=type(exc).__name__ + ": " + str(exc)[:80])) from None


def cmd_bundle(args: argparse.Namespace) -> int:
    """`bundle --from report.json` bundles a saved report (exit 0); plain `bundle` runs the check first and
    exits like `check` (0 healthy, 1 problem, 2 untested), with the bundle saved in each case."""
    if not args.from_report:
        args.bundle = args.out
        return run_check(args)
    report = load_saved_report(args.from_report)
    args.bundle = args.out
    _save_bundle(report, args, sys.stdout)
    return EXIT_HEALTHY


def _save_bundle(report: Report, args: argparse.Namespace, out: TextIO) -> None:
    from .bundle import write_bundle

    folder, target = _bundle_target(args.bundle)
    path = write_bundle(report, folder, redact_user=not getattr(args, "keep_user_name", False),
                        pseudonymize_hosts=bool(getattr(args, "pseudonymize_hosts", False)),
                        extra_secrets=safeout.remembered(), language=getattr(args, "it_language", None))
    if target is not None:
        if target.exists():  # checked before the run too; a file that appeared meanwhile is not overwritten
            path.unlink()
            raise UserError(_("{path} appeared while the check ran; nothing was overwritten", path=str(target)))
        os.replace(path, target)  # same folder: atomic, no half-written file under the asked name
        path = target
    print(_("Bundle for IT: {path}", path=safeout.text(str(path))), file=out)


def _bundle_target(arg: str) -> tuple[Path, Path | None]:
    """--bundle PATH: a name ending in .zip is the file to write (its folder must exist or is made); anything
    else is the folder to save an automatically named zip in (issue 15 item 10)."""
    p = Path(arg).expanduser()
    if p.suffix.lower() != ".zip":
        return p, None
    if p.exists():
        raise UserError(_("{path} already exists; give a new file name or a folder", path=str(p)))
    return p.parent if str(p.parent) else Path("."), p


def cmd_idle(args: argparse.Namespace) -> int:
    from .probes.idle import IdleProbe

    if args.max is not None:
        if not 1 <= args.max <= 3600:
            raise UserError(_("--max {value:g} is out of range; give a silence between 1 and 3600 seconds",
                              value=args.max))
        args.extra_options = {"idle_max_s": args.max, "idle_quick_max_s": args.max}
    return run_check(args, probes=[IdleProbe()])


def cmd_stress(args: argparse.Namespace) -> int:
    from .probes.base import ProbeContext
    from .probes.stream import StreamProbe
    from .probes.stress_plan import plan_for

    plan = plan_for(args.model or ProbeContext().model, args.size)
    line = _("{plan} (up to 3 runs with --compare)", plan=plan.line()) if args.compare else plan.line()
    print(line, file=sys.stderr, flush=True)
    if not args.lab and not args.yes and sys.stdin is not None and sys.stdin.isatty():
        # TRANSLATORS: the answer is read as y/yes in any language; keep [y/N]
        if input(_("Start it? [y/N] ")).strip().lower() not in ("y", "yes"):
            print(_("Not started."), file=sys.stderr)
            return EXIT_UNTESTED
    args.extra_options = {"stress_size": args.size, "stress_compare": args.compare}
    return run_check(args, probes=[StreamProbe()])


_MARK = {Status.OK: "ok  ", Status.WARN: "warn", Status.FAIL: "FAIL", Status.ERROR: "??  ",
         Status.SKIPPED: "skip", Status.CANCELLED: "stop"}


# The widest a name column of the terminal report grows (columns): longer names (German runs long) overrun it
# rather than push every summary off an 80-column terminal.
TITLE_COLUMN_MAX = 30


def print_report(report: Report, out: TextIO) -> None:
    from .probes import all_probes

    titles = {p.name: _(p.title) for p in all_probes()}  # probe titles are marked with N_() where they are set
    url = report.target["base_url"]
    if report.target.get("lab_profile"):
        print(_("Stream Doctor {version}: {url}  (lab profile {lab})", version=report.app_version, url=url,
                lab=report.target["lab_profile"]), "\n", sep="", file=out)
    else:
        print(_("Stream Doctor {version}: {url}", version=report.app_version, url=url), "\n", sep="", file=out)
    shown = {r.probe: titles.get(r.probe, r.probe) for r in report.results}
    column = min(TITLE_COLUMN_MAX, max((display_width(t) for t in shown.values()), default=0))
    for r in report.results:
        print(f"  [{_MARK[r.status]}] {pad(shown[r.probe], column)} {r.summary}", file=out)
    print_matrix(report, out)
    v = report.verdict
    # TRANSLATORS: {overall} is the verdict's machine word (HEALTHY, PROBLEM, UNTESTED), kept in English
    verdict = _("Verdict: {overall}: {headline}", overall=v.overall.value.upper(), headline=v.headline)
    print("\n", verdict, sep="", file=out)
    seen = report.target.get("user_error")
    if isinstance(seen, dict) and seen.get("sentence"):
        print("\n  ", _("What you saw: {sentence}", sentence=seen["sentence"]), sep="", file=out)
    for f in v.findings:
        if f.severity is Severity.INFO and v.overall.value != "healthy":
            continue
        print(f"\n  [{f.severity.value}] {f.title}", file=out)
        print(f"    {f.plain}", file=out)
        for e in f.evidence:
            print(f"    - {e.text()}", file=out)
        if f.ask_it:
            print("    ", _("Ask IT: {request}", request=f.ask_it), sep="", file=out)
        if f.fix_ids:
            print("    ", _("Fixes: {ids}", ids=", ".join(f.fix_ids)), sep="", file=out)


def print_matrix(report: Report, out: TextIO) -> None:
    """The experiment matrix as a small table; a variable whose variants disagree is marked as the one that
    flips the outcome."""
    from . import matrix

    rows = matrix.build(report.results)
    if not rows:
        return
    flipped = matrix.flips(rows)
    print("\n", _("What changes the outcome (each variable tried both ways):"), sep="", file=out)
    for variable in dict.fromkeys(r.variable for r in rows):
        shown = _("{variable}  <- flips the outcome", variable=variable) if variable in flipped else variable
        print(f"  {shown}", file=out)
        variants = [r for r in rows if r.variable == variable]
        column = min(TITLE_COLUMN_MAX, max(display_width(r.variant) for r in variants))
        for r in variants:
            print(f"    [{_MATRIX_MARK.get(r.outcome, '?')}] {pad(r.variant, column)} {r.number}", file=out)


_MATRIX_MARK = {"ok": " ok ", "fail": "FAIL", "untested": " -- "}


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
            self.stream.write(safeout.text(f"\r\033[K{p.probe}: {p.detail}"[:120]))
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


# --- fix -------------------------------------------------------------------------------------------------


def _add_fix_parser(sub: Any) -> None:
    f = sub.add_parser("fix", help=_("list, preview, apply and undo the fixes (each journaled and undoable)"))
    f_sub = f.add_subparsers(dest="fix_command", metavar="ACTION")
    f_sub.required = True
    f_sub.add_parser("list", help=_("the fixes, and the changes applied so far")).set_defaults(func=cmd_fix_list)
    for name, func, text in (("show", cmd_fix_show, _("preview exactly what a fix would change")),
                             ("apply", cmd_fix_apply, _("apply a fix (after its preview), then verify it"))):
        a = f_sub.add_parser(name, help=text)
        a.add_argument("fix_id", metavar="ID")
        a.add_argument("--report", metavar="REPORT_JSON", help=_("use this report (from `check --json`) instead of "
                       "running the check now"))
        _add_target_args(a)
        a.set_defaults(func=func, quick=False, model=None)
    f_sub.choices["apply"].add_argument("--yes", action="store_true", help=_("do not ask before changing anything"))
    f_sub.choices["apply"].add_argument("--no-verify", action="store_true", help=_("skip the check afterwards"))
    u = f_sub.add_parser("undo", help=_("undo an applied fix (a record id from `fix list`, or a fix id: its latest)"))
    u.add_argument("record", metavar="ID")
    u.set_defaults(func=cmd_fix_undo)


def cmd_fix_list(args: argparse.Namespace) -> int:
    from .fixes import all_fixes, list_records

    for fix in all_fixes():
        title = _("{title}  (administrator)", title=fix.title) if fix.needs_admin else fix.title
        print(f"{fix.id:<22} {title}")
    records = list_records()
    if records:
        print("\n", _("Applied so far (undo with `streamdoctor fix undo ID`):"), sep="")
        for r in records:
            when = i18n.format_datetime(r.created_at, i18n.current())
            print(f"  {r.id:<44} {r.state:<11} {when}")
    return EXIT_HEALTHY


@contextmanager
def _fix_report(args: argparse.Namespace, fix: Any) -> Iterator[Report]:
    """The report a fix works from: --report as saved, else the probes the fix reads (and what they need), run
    now. With --lab the lab keeps running until the block ends, so verification re-measures the same lab."""
    if args.report:
        yield load_saved_report(args.report)
        return
    from .probes import all_probes
    from .runner import run_probes

    known = {p.name: p for p in all_probes()}
    wanted, todo = set(), list(fix.probes or known)
    while todo:  # the probes the fix reads, and the probes those need
        name = todo.pop()
        if name in known and name not in wanted:
            wanted.add(name)
            todo.extend(known[name].needs)
    cancel = CancelToken()
    with lab_or_real(args.lab, args.base_url, args.ca_file) as (base_url, overrides, ca_file), \
            _cancel_on_sigint(cancel):
        ctx = make_context(base_url, overrides, args, ca_file)
        print(_("Measuring first ({checks}; --report reuses a saved check)...", checks=", ".join(sorted(wanted))),
              file=sys.stderr, flush=True)
        results = run_probes([p for p in known.values() if p.name in wanted], ctx, cancel=cancel)
        if cancel.cancelled:
            raise UserError(_("cancelled before anything was changed"))
        yield Report(target={"base_url": base_url, "lab_profile": args.lab or "", "ca_file": ca_file},
                     results=results, verdict=_diagnose(results, base_url), app_version=__version__)


def cmd_fix_show(args: argparse.Namespace) -> int:
    from .fixes import get_fix

    fix = get_fix(args.fix_id)
    with _fix_report(args, fix) as report:
        plan = fix.preview(report)
    title = _("{title}  (needs administrator rights)", title=plan.title) if plan.needs_admin else plan.title
    print(f"{title}\n\n{plan.description}\n")
    print(plan.preview)
    return EXIT_HEALTHY


def cmd_fix_apply(args: argparse.Namespace) -> int:
    """Exit 0 applied and verified, 1 applied but the check afterwards still sees the problem, 2 not applied."""
    from .fixes import get_fix

    fix = get_fix(args.fix_id)
    with _fix_report(args, fix) as report:
        plan = fix.preview(report)
        print(f"{plan.title}\n\n{plan.description}\n\n{plan.preview}\n")
        if not args.yes:
            if sys.stdin is None or not sys.stdin.isatty():
                raise UserError(_("not applied: add --yes to apply without being asked"))
            # TRANSLATORS: the answer is read as y/yes in any language; keep [y/N]
            if input(_("Apply this change? [y/N] ")).strip().lower() not in ("y", "yes"):
                print(_("Not applied."), file=sys.stderr)
                return EXIT_UNTESTED
        record_id = fix.apply(report)
        print(_("Applied (undo: streamdoctor fix undo {record})", record=record_id))
        if args.no_verify:
            return EXIT_HEALTHY
        outcome = fix.verify(report, record_id)
    print(_("Verified: {detail}", detail=outcome.detail) if outcome.ok
          else _("Not verified: {detail}", detail=outcome.detail))
    return EXIT_HEALTHY if outcome.ok else EXIT_PROBLEM


def cmd_fix_undo(args: argparse.Namespace) -> int:
    from .fixes import FIX_IDS, get_fix, list_records
    from .fixes.journal import APPLIED, FixError, load

    record_id = args.record
    if record_id in FIX_IDS:
        applied = [r for r in list_records() if r.fix_id == record_id and r.state == APPLIED]
        if not applied:
            raise FixError(f"nothing of '{record_id}' is applied; 'streamdoctor fix list' shows what is")
        record_id = applied[-1].id
    record = load(record_id)
    get_fix(record.fix_id).revert(record_id)
    print(_("Undone: {title} ({record})", title=record.title, record=record_id))
    return EXIT_HEALTHY


def recover_interrupted_fixes() -> None:
    """A fix interrupted mid-change (crash, power cut) is rolled back at the next start; say so, never fail."""
    try:
        from .fixes import recover_pending

        for line in recover_pending():
            print(f"streamdoctor: {line}", file=sys.stderr)
    except Exception as exc:  # recovery must never keep the app from starting
        import logging

        logging.getLogger(__name__).exception("fix recovery failed")
        print("streamdoctor: ", _("could not check for interrupted fixes: {error}", error=str(exc)), sep="",
              file=sys.stderr)


# --- lab -------------------------------------------------------------------------------------------------


def cmd_lab_list(args: argparse.Namespace) -> int:
    from .lab import PROFILES

    width = max(len(n) for n in PROFILES)
    for name, profile in PROFILES.items():
        print(f"{name:<{width}}  {profile.shown_description()}")
    return 0


def cmd_lab_serve(args: argparse.Namespace) -> int:
    from .lab import LAB_API_KEY, REFUSED_API_KEY, LabRuntime, get_profile
    from .lab.isolation import exposure_warning

    profile = get_profile(args.profile)
    warning = exposure_warning(args.host, bool(getattr(args, "allow_remote", False)))  # refuses without the flag
    if warning:
        print(warning, file=sys.stderr, flush=True)
    stop = threading.Event()
    # Before anything is served or printed: a SIGTERM or SIGHUP (a closed terminal) right after the "Try:" line
    # must stop the lab cleanly through the ExitStack (its CA folder goes away), not by the default exit.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, lambda *_: stop.set())
    with contextlib.ExitStack() as stack:
        ssl_context, url_host, ca_file = None, "", ""
        if getattr(args, "tls", False):
            from .lab.tls import LabTLS, names_for_host, serves_tls

            if not serves_tls(profile):
                raise UserError(_("lab profile '{profile}' cannot be served over TLS; drop --tls",
                                  profile=profile.name))
            names, addresses = names_for_host(args.host)  # the leaf covers the address it is served at
            tls = stack.enter_context(LabTLS(names, addresses))
            ssl_context, url_host, ca_file = tls.server_context(), "", tls.ca_file
            if args.host in ("127.0.0.1", "::1", "localhost", "0.0.0.0", "::"):  # wildcard: reachable as localhost
                url_host = "localhost"  # the certificate's name, so clients verify it by name
        lab = stack.enter_context(LabRuntime(profile, host=args.host, port=args.port, ssl_context=ssl_context,
                                             url_host=url_host))
        print(_("Lab profile '{profile}' at {url}", profile=profile.name, url=lab.url), flush=True)
        if ca_file:
            print("  ", _("CA for this run (deleted when the lab stops): {path}", path=ca_file), sep="", flush=True)
        print(f"  {profile.shown_description()}")
        print("  ", _("Any API key works (e.g. {key}) except {refused}. Ctrl-C stops.", key=LAB_API_KEY,
                       refused=REFUSED_API_KEY), sep="", flush=True)
        trust = f"SSL_CERT_FILE={ca_file} " if ca_file else ""
        extra = f" --ca-file {ca_file}" if ca_file else ""
        command = f"{trust}ANTHROPIC_BASE_URL={lab.url} streamdoctor check{extra}"
        print("  ", _("Try: {command}", command=command), sep="", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


# --- entry -----------------------------------------------------------------------------------------------


def _diagnose(results: Any, base_url: str) -> Any:
    from .diagnosis import diagnose  # the rules (every rules/ module) are loaded only when a command needs them

    return diagnose(results, base_url)


def main(argv: Sequence[str] | None = None) -> int:
    """Run a CLI command; returns the exit code. UserErrors become one line on stderr (exit 2)."""
    try:
        argv = setup_language(sys.argv[1:] if argv is None else argv)
    except UserError as exc:
        print(safeout.text(f"streamdoctor: error: {exc}"), file=sys.stderr)
        return EXIT_UNTESTED
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "fix":  # only the commands that work on fixes roll back (and run undo steps): `lab list`
        recover_interrupted_fixes()  # or `check` never run a journaled action (issue 14 item 2)
    try:
        return int(args.func(args))
    except UserError as exc:
        print(safeout.text(f"streamdoctor: error: {exc}"), file=sys.stderr)
        return EXIT_UNTESTED
