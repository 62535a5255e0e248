"""The API key in the OS keychain, and nowhere else on disk: only when the user ticks "remember".

Every function returns a word instead of raising: a missing or broken keyring backend (a headless Linux box,
a locked keychain) must never stop the wizard; the key then lives for this session only.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

SERVICE = "streamdoctor"
ACCOUNT = "anthropic-api-key"


def load_key() -> tuple[str, str]:
    """(key, problem): the remembered key, or "" and why not (empty problem when simply none is stored)."""
    try:
        import keyring

        return keyring.get_password(SERVICE, ACCOUNT) or "", ""
    except Exception as exc:  # NoKeyringError, a dbus failure, a locked keychain...
        log.info("keychain not readable: %s", exc)
        return "", str(exc) or type(exc).__name__


def save_key(key: str) -> str:
    """Store the key; returns "" on success or the reason it could not be stored."""
    try:
        import keyring

        keyring.set_password(SERVICE, ACCOUNT, key)
        return ""
    except Exception as exc:
        log.info("keychain not writable: %s", exc)
        return str(exc) or type(exc).__name__


def forget_key() -> str:
    try:
        import keyring
        import keyring.errors

        try:
            keyring.delete_password(SERVICE, ACCOUNT)
        except keyring.errors.PasswordDeleteError:
            pass  # nothing was stored
        return ""
    except Exception as exc:
        log.info("keychain not writable: %s", exc)
        return str(exc) or type(exc).__name__
