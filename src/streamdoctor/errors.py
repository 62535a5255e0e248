"""Typed errors. Core code raises these; the CLI and the GUI turn them into words in one place each.

Every UserError carries a one-line message that says what is wrong and what to do about it.
"""

from __future__ import annotations

from .i18n import _


class StreamDoctorError(Exception):
    """Base of every error the product raises on purpose."""


class UserError(StreamDoctorError):
    """Bad input or an unusable environment: shown to the user as one line, exit code 2."""


class UnknownProfileError(UserError):
    pass


class BadURLError(UserError):
    pass


class PortInUseError(UserError):
    pass


class Cancelled(StreamDoctorError):
    """The user cancelled; not an error to report."""


class ClientUnsupported(StreamDoctorError):
    """A client setting that the SDK's own HTTP stack (and so the user's client) cannot use, e.g. a SOCKS proxy
    without the optional socksio package. Says what the setting is; never a verdict about the network."""


class ProtocolViolation(StreamDoctorError):
    """A server sent data that is not the protocol it should speak (not the Messages API, not SSE)."""


# The kinds an exception met while testing can be. Only NETWORK may become a verdict about the network.
NETWORK = "network"
CLIENT_UNSUPPORTED = "client-unsupported"
PROTOCOL = "protocol"
INTERNAL = "internal"

# Where SOCKS support comes from: httpx2 raises ImportError("Using SOCKS proxy, but the 'socksio' package is not
# installed...") when a socks5:// proxy is used without its optional `socks` extra (httpx2 2.16
# _transports/default.py; METADATA "Provides-Extra: socks" -> socksio). The anthropic SDK does not pull it in.
SOCKS_HINT = "socksio"


def error_kind(exc: BaseException) -> str:
    """Which of NETWORK, CLIENT_UNSUPPORTED, PROTOCOL or INTERNAL an exception is. Transport errors (OSError,
    httpx2/httpcore2 errors) are NETWORK; a missing optional module for a proxy scheme is CLIENT_UNSUPPORTED;
    anything else is our own bug (INTERNAL), which must never be reported as a network verdict."""
    if isinstance(exc, ClientUnsupported) or (isinstance(exc, ImportError) and SOCKS_HINT in str(exc)):
        return CLIENT_UNSUPPORTED
    if isinstance(exc, ProtocolViolation | UnicodeDecodeError):
        return PROTOCOL
    module = type(exc).__module__.split(".", 1)[0]
    if isinstance(exc, OSError) or module in ("httpx2", "httpcore2", "httpx", "httpcore", "ssl", "h11", "h2"):
        return NETWORK
    return INTERNAL


def chain_kind(exc: BaseException) -> str:
    """error_kind over the exception and its causes (the SDK wraps transport errors in its own types): NETWORK if
    any link is a network error, else the first link's kind."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    kinds: list[str] = []
    while cur is not None and id(cur) not in seen and len(kinds) < 10:
        seen.add(id(cur))
        kinds.append(error_kind(cur))
        cur = cur.__cause__ or cur.__context__
    if NETWORK in kinds:
        return NETWORK
    return next((k for k in kinds if k != INTERNAL), INTERNAL)


def describe(exc: BaseException) -> str:
    """The one place an exception met while testing becomes words for a probe summary."""
    kind = error_kind(exc)
    if kind == CLIENT_UNSUPPORTED:
        if isinstance(exc, ImportError):
            return _("this client setting (a SOCKS proxy, e.g. {example}) is unsupported by the anthropic Python SDK "
                     "as installed: it needs the optional socksio package ({command}); Claude Code does not support "
                     "SOCKS proxies at all", example="ALL_PROXY=socks5://...", command="pip install 'httpx2[socks]'")
        return _("this client setting is unsupported: {error}", error=str(exc))
    if kind == PROTOCOL:
        return _("the server sent data that is not the protocol it should speak: {error}", error=str(exc))
    if kind == INTERNAL:
        # TRANSLATORS: {kind} is a Python exception name (KeyError), {error} its message: both stay as they are
        return _("an internal error in Stream Doctor, not a network problem ({kind}: {error})",
                 kind=type(exc).__name__, error=str(exc))
    return f"{type(exc).__name__}: {exc}"  # a transport error's own words (ReadError: ...): for IT, not translated
