"""The `watch` subcommand's arguments, on their own: every start of the app builds the command line, and the
watch's machinery (the loop, the record, the probes it reuses) is ~150 ms of imports that only `watch` needs.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..i18n import _
from ..i18n.languages import SUPPORTED


def add_watch_parser(sub: Any) -> None:
    w = sub.add_parser("watch", help=_("watch in the background for cuts that come and go, and record each one"))
    w.add_argument("--base-url", help=_("API endpoint or gateway (default: $ANTHROPIC_BASE_URL or api.anthropic.com)"))
    w.add_argument("--lab", metavar="PROFILE", help=_("watch the built-in simulated API (a demo)"))
    w.add_argument("--ca-file", metavar="PEM", help=_("also trust this CA for this run (never installed)"))
    w.add_argument("--duration", type=float, metavar="S", help=_("stop after S seconds (default: until stopped)"))
    w.add_argument("--max-events", type=int, metavar="N", help=_("stop after N recorded events"))
    w.add_argument("--cut", type=float, metavar="S", help=_("a cut the idle test measured: hold connections around it"))
    w.add_argument("--holds", metavar="S,S", help=argparse.SUPPRESS)  # explicit holds (the netlab scales them)
    w.add_argument("--heartbeat", type=float, default=30.0, help=argparse.SUPPRESS)
    w.add_argument("--poll", type=float, default=5.0, help=argparse.SUPPRESS)
    w.add_argument("--response-timeout", type=float, default=10.0, help=argparse.SUPPRESS)
    w.add_argument("--connect-timeout", type=float, default=5.0, help=argparse.SUPPRESS)
    w.add_argument("--stream-every", type=float, metavar="MIN", help=_("with ANTHROPIC_API_KEY: a short real "
                   "streamed answer every MIN minutes (costs a few tokens each)"))
    w.add_argument("--model", help=argparse.SUPPRESS)
    w.add_argument("--db", metavar="FILE", help=_("the record (default: watch.sqlite3 in the data folder)"))
    w.add_argument("--notify", action="store_true", help=_("a desktop notification for every cut caught"))
    w.add_argument("--status", action="store_true", help=_("print what the record says so far and exit"))
    w.add_argument("--json", action="store_true", help=_("with --status: the analysis as JSON"))
    w.add_argument("--export", metavar="FOLDER", help=_("write the diagnostic bundle of the record and exit"))
    w.add_argument("--it-language", choices=SUPPORTED, metavar="CODE",
                   help=_("with --export: the language of the bundle's texts for IT (e.g. en; default: this run's)"))
    w.add_argument("--stop", action="store_true", help=_("stop the running watch and exit"))
    w.set_defaults(func=_cmd_watch)


def _cmd_watch(args: argparse.Namespace) -> int:
    from .cli import cmd_watch

    return cmd_watch(args)
