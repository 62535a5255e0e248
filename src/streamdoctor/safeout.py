"""Redaction at the source for everything a user can see outside the bundle: `check --json`, the terminal
report, one-line errors and the log file.

People paste these into tickets and chats, so they get the same treatment as the bundle, from the same code
(bundle/redact.py's Redactor): proxy and gateway passwords (also percent-encoded and as a Basic-auth token),
API keys, PAC URL tokens, Set-Cookie and Authorization values. The Redactor learns the secrets this process
holds by value (the environment's keys and proxy URLs, ANTHROPIC_BASE_URL's user:password, a --base-url's),
then every output passes its patterns and a final scan for those values in raw, JSON- and URL-escaped form.
User names in paths are kept: these outputs stay on the user's machine unless they choose to share them.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
from typing import Any
from urllib.parse import unquote, urlsplit

from .bundle.redact import Redactor

_lock = threading.Lock()
_use = threading.RLock()  # the Redactor caches what it learns as it goes: one thread at a time uses it
_redactor: Redactor | None = None
_extra: set[str] = set()


def url_secrets(url: str) -> list[str]:
    """The user, password and Basic-auth token a URL carries (decoded and as written), for learning by value."""
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        user, password = parts.username, parts.password
    except ValueError:
        return []
    out: list[str] = []
    for v in (password, user if password else None):
        if v:
            out += [v, unquote(v)]
    if user and password:
        out.append(base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode())
    return out


def remember(*secrets: str) -> None:
    """Secrets this process learned at run time (a --base-url's password): removed from every later output."""
    global _redactor
    with _lock:
        new = {s for s in secrets if s} - _extra
        if new:
            _extra.update(new)
            _redactor = None  # rebuilt with the new values on next use


def remembered() -> list[str]:
    """The run-time secrets learned so far (for the bundle writer's extra_secrets)."""
    with _lock:
        return sorted(_extra)


def remember_url(url: str) -> None:
    remember(*url_secrets(url))


def redactor() -> Redactor:
    global _redactor
    with _lock:
        if _redactor is None:
            env = dict(os.environ)
            extra = set(_extra) | set(url_secrets(env.get("ANTHROPIC_BASE_URL", "")))
            _redactor = Redactor(redact_user=False, environ=env, extra_secrets=extra)
        return _redactor


def text(s: str) -> str:
    """One string for the terminal or the log, redacted."""
    r = redactor()
    with _use:
        out = r.text(s)
        scrubbed, _ = r.scrub_bytes(out.encode("utf-8", "surrogatepass"))
    return scrubbed.decode("utf-8", "replace")


def json_text(obj: Any) -> str:
    """A JSON-able report as indented JSON text, redacted structurally and then scanned for known values."""
    r = redactor()
    with _use:
        raw = json.dumps(r.obj(obj), indent=2)
        scrubbed, _ = r.scrub_bytes(raw.encode("utf-8"))
    return scrubbed.decode("utf-8")


class RedactingFormatter(logging.Formatter):
    """A Formatter whose every line (message, arguments and traceback alike) is redacted before it is written."""

    def format(self, record: logging.LogRecord) -> str:
        try:
            return text(super().format(record))
        except Exception:  # a log line must never raise; fall back to saying less
            return f"{record.levelname} {record.name}: (log line withheld: redaction failed)"
