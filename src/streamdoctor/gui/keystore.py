"""The API key in the OS keychain, and nowhere else on disk: only when the user ticks "remember".

Every function returns a word instead of raising: a missing or broken keychain (a headless Linux box, a locked
keychain, no Secret Service on the bus) must never stop the wizard; the key then lives for this session only.

The backend is picked here, not by keyring's entry-point discovery (a frozen build does not carry the entry-point
metadata reliably): on Linux our own Secret Service client (platform/secret_service.py, no `cryptography` in the
build), elsewhere keyring's native one (Windows Credential Manager, macOS Keychain).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

log = logging.getLogger(__name__)

SERVICE = "streamdoctor"
ACCOUNT = "anthropic-api-key"


def backend() -> Any:
    """The keyring backend the wizard uses on this OS (a keyring.backend.KeyringBackend)."""
    if sys.platform.startswith("linux"):
        from streamdoctor.platform.secret_service import SecretServiceKeyring

        return SecretServiceKeyring()
    import keyring

    return keyring.get_keyring()


def _why(exc: Exception) -> str:
    return (str(exc) or type(exc).__name__).splitlines()[0]


def load_key() -> tuple[str, str]:
    """(key, problem): the remembered key, or "" and why not (empty problem when simply none is stored)."""
    try:
        return backend().get_password(SERVICE, ACCOUNT) or "", ""
    except Exception as exc:  # NoKeyringError, a dbus failure, a locked keychain...
        log.info("keychain not readable: %s", _why(exc))
        return "", _why(exc)


def save_key(key: str) -> str:
    """Store the key; returns "" on success or the reason it could not be stored."""
    try:
        backend().set_password(SERVICE, ACCOUNT, key)
        return ""
    except Exception as exc:
        log.info("keychain not writable: %s", _why(exc))
        return _why(exc)


def forget_key() -> str:
    """Remove the remembered key; "" when it is gone (or was never there), else the reason."""
    try:
        import keyring.errors

        try:
            backend().delete_password(SERVICE, ACCOUNT)
        except keyring.errors.PasswordDeleteError:
            pass  # nothing was stored
        return ""
    except Exception as exc:
        log.info("keychain not writable: %s", _why(exc))
        return _why(exc)
