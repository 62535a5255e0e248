"""Bootstrap only: logging and the crash hook first, then the wizard (default) or a CLI command."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

log = logging.getLogger("streamdoctor")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--privhelper"]:
        # A frozen build elevates itself with this first argument (fixes/elevate.py). The helper validates its own
        # arguments and must run before argparse, logging or anything else that could be influenced by the user.
        from .fixes.privhelper import main as privhelper_main

        return privhelper_main(argv[1:])
    if argv[:1] == ["--check-imports"]:
        # The packaging check (selfcheck.py): every module the build should carry, imported inside the build.
        from .selfcheck import main as check_imports_main

        return check_imports_main()
    if "--version" in argv and ({"-v", "--verbose"} & set(argv)):
        from .buildinfo import verbose_version

        print(verbose_version())
        return 0

    from . import cli, safeout
    from .errors import UserError
    from .i18n import _
    from .logsetup import setup_logging

    try:
        argv = cli.setup_language(argv)  # before the parser: --help and every text of the run in that language
    except UserError as exc:
        print(safeout.text(f"streamdoctor: error: {exc}"), file=sys.stderr)
        return 2
    parser = cli.build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "base_url", None):
        safeout.remember_url(args.base_url)  # before the first log line, which records the arguments
    log_path = setup_logging(verbose=args.verbose)
    log.info("streamdoctor start: %s", argv)
    try:
        if args.command:
            return cli.main(argv)
        from .errors import UserError

        cli.recover_interrupted_fixes()  # the wizard, like every command, first rolls back a fix a crash interrupted
        missing = display_problem(dict(os.environ), sys.platform)
        if missing:
            raise UserError(_("the wizard cannot open a window: {reason}; run 'streamdoctor check' instead",
                              reason=missing))
        try:
            from .gui.app import run_gui
        except ImportError as exc:  # a source checkout without the GUI's system libraries
            raise UserError(_("the wizard cannot start ({error}); 'streamdoctor check' works without it",
                              error=str(exc))) from exc
        return run_gui(args)
    except KeyboardInterrupt:
        print(_("Interrupted."), file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`streamdoctor lab list | head`): not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's last flush at exit does not complain again
        return EXIT_BROKEN_PIPE
    except Exception as exc:  # the last line of defence: one line for the user, the traceback in the log
        from .errors import UserError

        if isinstance(exc, UserError):
            print(safeout.text(f"streamdoctor: error: {exc}"), file=sys.stderr)
            return 2
        log.exception("unexpected error")
        error = f"{type(exc).__name__}: {exc}"
        said = (_("streamdoctor: unexpected error: {error} (details in {path})", error=error, path=str(log_path))
                if log_path else _("streamdoctor: unexpected error: {error}", error=error))
        print(safeout.text(said), file=sys.stderr)
        return 2


EXIT_BROKEN_PIPE = 141  # what a shell reports for a program ended by SIGPIPE (128 + 13), which is what happened

# Qt platforms that need no display server (tests, screenshots, remote frame buffers).
HEADLESS_QT_PLATFORMS = ("offscreen", "minimal", "vnc", "eglfs", "linuxfb", "vkkhrdisplay")


def display_problem(env: dict[str, str], platform: str) -> str:
    """What is missing for a window, in words, or "" (issue 15 item 12). Only Linux and the BSDs need a display
    server named in the environment; Windows and macOS always have one in a user session."""
    from .i18n import _

    if not platform.startswith(("linux", "freebsd", "openbsd")):
        return ""
    qpa = env.get("QT_QPA_PLATFORM", "").split(":", 1)[0].strip().lower()
    if qpa in HEADLESS_QT_PLATFORMS:
        return ""
    if qpa == "xcb" and not env.get("DISPLAY"):
        return _("QT_QPA_PLATFORM is xcb but DISPLAY is not set (no X server)")
    if qpa.startswith("wayland") and not env.get("WAYLAND_DISPLAY"):
        return _("QT_QPA_PLATFORM is wayland but WAYLAND_DISPLAY is not set")
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        return _("no display (DISPLAY and WAYLAND_DISPLAY are not set: an SSH session or a server?)")
    return ""


if __name__ == "__main__":
    sys.exit(main())
