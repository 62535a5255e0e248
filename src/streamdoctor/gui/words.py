"""Every error, status and state the user sees is turned into words here, in one place.

The core raises typed errors and reports enum states; this module is the only GUI code that decides what
they are called on screen, so wording stays consistent. Texts go through the app's one gettext catalog
(streamdoctor.i18n), the same one the Qt-free core uses, so each language has one set of words.
"""

from __future__ import annotations

from PySide6.QtGui import QColor

from .. import paths
from ..errors import Cancelled, UserError
from ..i18n import N_, _, ngettext
from ..model import STILL_ARRIVING_S, Severity, Status

# The only hard-coded colours in the app: traffic lights. Each always comes with a text label too.
GREEN = QColor("#2e7d32")
AMBER = QColor("#e0a000")
RED = QColor("#c62828")
GREY = QColor("#808080")


def error_text(exc: BaseException) -> str:
    """One or two sentences for any exception: what happened and what to do."""
    if isinstance(exc, Cancelled):
        return _("Stopped.")
    if isinstance(exc, UserError):
        text = str(exc)
        return text[:1].upper() + text[1:]
    if isinstance(exc, ModuleNotFoundError):
        return _("This part of Stream Doctor is not available in this version ({name}).", name=exc.name)
    if isinstance(exc, PermissionError):
        return _("Stream Doctor is not allowed to write there ({path}). Choose another folder.",
                 path=exc.filename or "")
    if isinstance(exc, OSError):
        return _("The system refused: {reason}.", reason=exc.strerror or str(exc))
    return _("Something unexpected went wrong ({kind}). The details are in the log: {log}",
             kind=type(exc).__name__, log=str(paths.log_file()))


# Status of one check in the Scan checklist: (symbol, word, light). The symbol is for quick scanning; the
# word carries the meaning for screen readers and colour-blind users.
def status_words(status: Status) -> tuple[str, str, QColor]:
    return {
        Status.OK: ("✓", _("Passed"), GREEN),
        Status.WARN: ("!", _("Worth a look"), AMBER),
        Status.FAIL: ("✗", _("Problem"), RED),
        Status.ERROR: ("?", _("Could not check"), GREY),
        Status.SKIPPED: ("–", _("Skipped"), GREY),
        Status.CANCELLED: ("■", _("Stopped"), GREY),
    }[status]


def severity_words(severity: Severity) -> tuple[str, QColor]:
    return {
        Severity.PROBLEM: (_("Problem"), RED),
        Severity.WARNING: (_("Warning"), AMBER),
        Severity.INFO: (_("Good to know"), GREEN),
    }[severity]


IDLE_ENDED = ("reset", "closed", "tls_close", "dropped", "error")


def idle_state_words(state: str) -> tuple[str, QColor | None]:
    """The idle ladder's bar labels. None colour: still running (drawn in the palette's highlight)."""
    return {
        "waiting": (_("waiting"), None),
        "alive": (_("survived"), GREEN),
        "reset": (_("cut (reset)"), RED),
        "closed": (_("closed by the network"), RED),
        "tls_close": (_("closed by a proxy"), RED),
        "dropped": (_("silently dropped"), RED),
        "error": (_("could not test"), GREY),
    }.get(state, (state, GREY))


# The idle ladder's label for a connection that ended, with when: one whole phrase per ending (word order differs)
IDLE_ENDED_AFTER = {
    "reset": N_("cut (reset) after {t}"),
    "closed": N_("closed by the network after {t}"),
    "tls_close": N_("closed by a proxy after {t}"),
    "dropped": N_("silently dropped after {t}"),
    "error": N_("could not test after {t}"),
}


def idle_ended_words(state: str, after_s: float) -> str:
    """"closed by the network after 32 s": an ended idle connection and how long it had been silent."""
    return _(IDLE_ENDED_AFTER[state], t=seconds(after_s)) if state in IDLE_ENDED_AFTER else idle_state_words(state)[0]


def seconds(value: float | None) -> str:
    if value is None:
        return "–"
    if value >= 120:
        return _("{m} min {s} s", m=int(value // 60), s=int(value % 60))
    if value >= 10:
        return _("{s:.0f} s", s=value)
    return _("{s:.1f} s", s=value)


def byte_count(n: int) -> str:
    if n >= 1_000_000:
        return _("{v:.1f} MB", v=n / 1_000_000)
    if n >= 1000:
        return _("{v:.1f} KB", v=n / 1000)
    return ngettext("{n} byte", "{n} bytes", n)


def stream_outcome(data: dict[str, object], fallback: str) -> str:
    """The stress test's ending in one plain sentence (the probe's own summary stays in the tooltip)."""

    def num(key: str) -> float:
        value = data.get(key)
        return float(value) if isinstance(value, int | float) else 0.0

    total, silence = seconds(num("total_s")), seconds(num("silence_before_end_s"))
    outcome = data.get("outcome")
    texts = {
        "completed": _("The whole answer arrived, piece by piece, in {t}.", t=total),
        "reset": (_("The connection was cut (a reset) after {t}, when nothing had arrived for {s}.", t=total,
                    s=silence) if num("silence_before_end_s") >= STILL_ARRIVING_S else
            _("The connection was cut (a reset) after {t}, while data was still arriving.", t=total)),
        "keepalive_only": _("The server sent only keep-alives for {s} and no answer.",
                            s=seconds(num("keepalive_only_s"))),
        "bad_data": _("The server sent data that is not the Claude service's answer format."),
        "budget_exceeded": _("The test stopped at its time or size budget before the answer ended."),
        "closed": _("The connection was closed before the answer was complete, after {t}.", t=total),
        "stalled": _("The answer stopped arriving: nothing came for {s}.", s=silence),
        "first_byte_timeout": _("No answer started within {t}.", t=total),
        "http_error": _("The Claude service answered with an error (HTTP {code}) instead of an answer.",
                        code=str(data.get("http_status"))),
        "sse_error": _("The Claude service started answering, then stopped with an error message."),
        "not_api": _("Something other than the Claude service answered (perhaps a login or block page)."),
        "connect_failed": _("Stream Doctor could not connect to the Claude service."),
        "cancelled": _("Stopped before the answer was complete."),
    }
    return texts.get(str(outcome), fallback)
