"""The last line of defence: an excepthook installed before QApplication exists, and Qt's own messages.

The hook is non-recursive (a crash inside the crash dialog only logs), logs the traceback, and shows the
crash dialog on the GUI thread when there is one. Qt's warnings go to the log instead of stderr, which keeps
`--self-test` silent on success and the packaging smoke test meaningful.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from types import TracebackType

log = logging.getLogger("streamdoctor.crash")
qt_log = logging.getLogger("streamdoctor.qt")

_inside_hook = False
# Set by --self-test: a crash there must end the run with exit 1, not wait for a click.
headless_failures: list[str] = []
headless = False


def install_excepthook() -> None:
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook


def _excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    global _inside_hook
    details = "".join(traceback.format_exception(kind, value, tb))
    log.critical("uncaught exception\n%s", details)
    if issubclass(kind, KeyboardInterrupt):
        return
    if headless:
        headless_failures.append(details)
        from PySide6.QtWidgets import QApplication

        QApplication.exit(1)  # ends the self-test's event loop; the run reports the failure
        return
    if _inside_hook or threading.current_thread() is not threading.main_thread():
        return
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        if sys.stderr is not None:
            sys.stderr.write(details)
        return
    _inside_hook = True
    try:
        from .dialogs.crash_dialog import CrashDialog

        CrashDialog(details).exec()
    except Exception:
        log.exception("the crash dialog itself failed")
    finally:
        _inside_hook = False


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    # Worker threads report failures through their signals; anything reaching here is a bug: log it.
    log.critical("uncaught exception in thread %s", getattr(args.thread, "name", "?"),
                 exc_info=(args.exc_type, args.exc_value, args.exc_traceback))  # type: ignore[arg-type]


def install_qt_message_handler() -> None:
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handler(mode: QtMsgType, context: object, message: str) -> None:
        qt_log.log(levels.get(mode, logging.WARNING), "%s", message)
        if mode == QtMsgType.QtFatalMsg and "platform plugin" in message:
            # Qt would abort (exit 134) with this only in the log: one line on the terminal and exit 2 instead.
            print("streamdoctor: error: the wizard cannot open a window: Qt could not load a platform plugin "
                  f"({message.splitlines()[0][:160]}); run 'streamdoctor check' instead", file=sys.stderr)
            sys.stderr.flush()
            os._exit(2)

    qInstallMessageHandler(handler)
