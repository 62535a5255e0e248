"""Every error, status and state the user sees is turned into words here, in one place.

The core raises typed errors and reports enum states; this module is the only GUI code that decides what
they are called on screen, so wording stays consistent and translatable (QCoreApplication.translate).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QColor

from .. import paths
from ..errors import Cancelled, UserError
from ..model import STILL_ARRIVING_S, Severity, Status

# The only hard-coded colours in the app: traffic lights. Each always comes with a text label too.
GREEN = QColor("#2e7d32")
AMBER = QColor("#e0a000")
RED = QColor("#c62828")
GREY = QColor("#808080")


def tr(text: str) -> str:
    return QCoreApplication.translate("words", text)


def error_text(exc: BaseException) -> str:
    """One or two sentences for any exception: what happened and what to do."""
    if isinstance(exc, Cancelled):
        return tr("Stopped.")
    if isinstance(exc, UserError):
        text = str(exc)
        return text[:1].upper() + text[1:]
    if isinstance(exc, ModuleNotFoundError):
        return tr("This part of Stream Doctor is not available in this version ({name}).").format(name=exc.name)
    if isinstance(exc, PermissionError):
        return tr("Stream Doctor is not allowed to write there ({path}). Choose another folder.").format(
            path=exc.filename or "")
    if isinstance(exc, OSError):
        return tr("The system refused: {reason}.").format(reason=exc.strerror or exc)
    return tr("Something unexpected went wrong ({kind}). The details are in the log: {log}").format(
        kind=type(exc).__name__, log=paths.log_file())


# Status of one check in the Scan checklist: (symbol, word, light). The symbol is for quick scanning; the
# word carries the meaning for screen readers and colour-blind users.
def status_words(status: Status) -> tuple[str, str, QColor]:
    return {
        Status.OK: ("✓", tr("Passed"), GREEN),
        Status.WARN: ("!", tr("Worth a look"), AMBER),
        Status.FAIL: ("✗", tr("Problem"), RED),
        Status.ERROR: ("?", tr("Could not check"), GREY),
        Status.SKIPPED: ("–", tr("Skipped"), GREY),
        Status.CANCELLED: ("■", tr("Stopped"), GREY),
    }[status]


def severity_words(severity: Severity) -> tuple[str, QColor]:
    return {
        Severity.PROBLEM: (tr("Problem"), RED),
        Severity.WARNING: (tr("Warning"), AMBER),
        Severity.INFO: (tr("Good to know"), GREEN),
    }[severity]


IDLE_ENDED = ("reset", "closed", "tls_close", "dropped", "error")


def idle_state_words(state: str) -> tuple[str, QColor | None]:
    """The idle ladder's bar labels. None colour: still running (drawn in the palette's highlight)."""
    return {
        "waiting": (tr("waiting"), None),
        "alive": (tr("survived"), GREEN),
        "reset": (tr("cut (reset)"), RED),
        "closed": (tr("closed by the network"), RED),
        "tls_close": (tr("closed by a proxy"), RED),
        "dropped": (tr("silently dropped"), RED),
        "error": (tr("could not test"), GREY),
    }.get(state, (state, GREY))


def seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 120:
        return tr("{m} min {s} s").format(m=int(value // 60), s=int(value % 60))
    if value >= 10:
        return tr("{s:.0f} s").format(s=value)
    return tr("{s:.1f} s").format(s=value)


def byte_count(n: int) -> str:
    if n >= 1_000_000:
        return tr("{v:.1f} MB").format(v=n / 1_000_000)
    if n >= 1000:
        return tr("{v:.1f} KB").format(v=n / 1000)
    return tr("{v} bytes").format(v=n)


def stream_outcome(data: dict[str, object], fallback: str) -> str:
    """The stress test's ending in one plain sentence (the probe's own summary stays in the tooltip)."""

    def num(key: str) -> float:
        value = data.get(key)
        return float(value) if isinstance(value, int | float) else 0.0

    total, silence = seconds(num("total_s")), seconds(num("silence_before_end_s"))
    outcome = data.get("outcome")
    texts = {
        "completed": tr("The whole answer arrived, piece by piece, in {t}.").format(t=total),
        "reset": (tr("The connection was cut (a reset) after {t}, when nothing had arrived for {s}.").format(
            t=total, s=silence) if num("silence_before_end_s") >= STILL_ARRIVING_S else
            tr("The connection was cut (a reset) after {t}, while data was still arriving.").format(t=total)),
        "keepalive_only": tr("The server sent only keep-alives for {s} and no answer.").format(
            s=seconds(num("keepalive_only_s"))),
        "bad_data": tr("The server sent data that is not the Claude service's answer format."),
        "budget_exceeded": tr("The test stopped at its time or size budget before the answer ended."),
        "closed": tr("The connection was closed before the answer was complete, after {t}.").format(t=total),
        "stalled": tr("The answer stopped arriving: nothing came for {s}.").format(s=silence),
        "first_byte_timeout": tr("No answer started within {t}.").format(t=total),
        "http_error": tr("The Claude service answered with an error (HTTP {code}) instead of an answer.").format(
            code=data.get("http_status")),
        "sse_error": tr("The Claude service started answering, then stopped with an error message."),
        "not_api": tr("Something other than the Claude service answered (perhaps a login or block page)."),
        "connect_failed": tr("Stream Doctor could not connect to the Claude service."),
        "cancelled": tr("Stopped before the answer was complete."),
    }
    return texts.get(str(outcome), fallback)
