"""The Linux keychain (the freedesktop Secret Service: GNOME Keyring, KWallet, KeePassXC) spoken directly over D-Bus.

Why not keyring's own backend: it goes through SecretStorage, which imports `cryptography` for the spec's
"dh-ietf1024-sha256-aes128-cbc-pkcs7" transfer encryption, and that one import shipped an 11 MiB Rust extension
(3.9 MiB of the download) in the Linux build for nothing else. This backend uses `jeepney` (pure-Python D-Bus,
already keyring's dependency on Linux) and the spec's "plain" session algorithm instead, which the Secret Service
API allows. What "plain" gives away is nothing an attacker lacks: the session bus is the user's own (a socket
only the user's processes may connect to), and any process of the user can ask the service for the same secret
anyway; the encryption only guards against a snooping process on that same bus, which could just as well
open its own session and read the item.

Items are looked up by the attributes keyring's SecretService backend uses ({"service", "username"}, plus
"application" when storing), so a key remembered by an older build through SecretStorage is still found, and any
other Secret Service client (seahorse, `secret-tool lookup service streamdoctor username ...`) sees a normal item.

A locked collection is unlocked with the service's own prompt (the desktop asks for the keyring password); the
wait for the user is bounded by PROMPT_TIMEOUT_S. Every failure is a SecretServiceError with a one-line reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jeepney import DBusAddress, MatchRule, new_method_call
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection
from jeepney.wrappers import DBusErrorResponse, Message, unwrap_msg
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, PasswordDeleteError

from ..i18n import _

BUS_NAME = "org.freedesktop.secrets"
SERVICE_PATH = "/org/freedesktop/secrets"
SERVICE_IFACE = "org.freedesktop.Secret.Service"
COLLECTION_IFACE = "org.freedesktop.Secret.Collection"
ITEM_IFACE = "org.freedesktop.Secret.Item"
PROMPT_IFACE = "org.freedesktop.Secret.Prompt"
NO_OBJECT = "/"  # the spec's "no prompt needed" / "no such collection" path
# A method call answers in milliseconds; the bound only matters when the service hangs (a stuck KWallet, say).
CALL_TIMEOUT_S = 10.0
# The user typing the keyring password in the desktop's unlock dialog: generous, but a forgotten dialog must not
# hold the wizard forever.
PROMPT_TIMEOUT_S = 60.0
# What keyring's SecretService backend stores too (keyring/backends/SecretService.py), so old items are found.
APPLICATION = "Python keyring library"


class SecretServiceError(KeyringError):
    """The Secret Service could not be reached or refused; str() is one line a user can act on."""


def _label(service: str, username: str) -> str:
    return f"Password for '{username}' on '{service}'"


def _session_bus_address() -> str:
    """The session bus from DBUS_SESSION_BUS_ADDRESS, or systemd's per-user socket when that is not set (a
    terminal without the desktop's environment)."""
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    if address:
        return address
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.exists(os.path.join(runtime, "bus")):
        return f"unix:path={os.path.join(runtime, 'bus')}"
    raise SecretServiceError(_("no D-Bus session bus ({variable} is not set): no keychain to use",
                               variable="DBUS_SESSION_BUS_ADDRESS"))


class _Client:
    """One connection to the Secret Service with a "plain" session open."""

    def __init__(self, conn: DBusConnection, timeout_s: float, prompt_timeout_s: float) -> None:
        self.conn = conn
        self.timeout_s = timeout_s
        self.prompt_timeout_s = prompt_timeout_s
        self.service = DBusAddress(SERVICE_PATH, BUS_NAME, SERVICE_IFACE)
        self.session = ""

    def call(self, path: str, iface: str, method: str, signature: str | None = None, body: tuple = ()) -> tuple:
        msg = new_method_call(DBusAddress(path, BUS_NAME, iface), method, signature, body)
        try:
            return tuple(unwrap_msg(self.conn.send_and_get_reply(msg, timeout=self.timeout_s)))
        except DBusErrorResponse as exc:
            raise SecretServiceError(_explain(exc)) from None
        except TimeoutError:
            raise SecretServiceError(
                f"the Secret Service did not answer {method} within {self.timeout_s:g} s"
            ) from None

    def open_session(self) -> None:
        _output, self.session = self.call(SERVICE_PATH, SERVICE_IFACE, "OpenSession", "sv", ("plain", ("s", "")))

    def close_session(self) -> None:
        if self.session:
            try:
                self.call(self.session, "org.freedesktop.Secret.Session", "Close")
            except SecretServiceError:
                pass  # the service forgets the session when our connection closes anyway

    def prop(self, path: str, iface: str, name: str) -> Any:
        (value,) = self.call(path, "org.freedesktop.DBus.Properties", "Get", "ss", (iface, name))
        return value[1]  # (signature, value)

    def prompt(self, prompt_path: str, what: str) -> tuple[str, Any]:
        """Run a prompt the service returned and wait (bounded) for Completed: the (signature, value) result.

        Raises when the user dismissed it or nobody answered within prompt_timeout_s."""
        rule = MatchRule(type="signal", interface=PROMPT_IFACE, member="Completed", path=prompt_path)
        self.conn.send_and_get_reply(message_bus.AddMatch(rule), timeout=self.timeout_s)
        with self.conn.filter(rule) as queue:
            # "" = no parent window id: the service shows its own dialog.
            self.call(prompt_path, PROMPT_IFACE, "Prompt", "s", ("",))
            try:
                signal: Message = self.conn.recv_until_filtered(queue, timeout=self.prompt_timeout_s)
            except TimeoutError:
                # TRANSLATORS: {action} is an English machine word (create keyring, unlock, store, delete)
                raise SecretServiceError(_("nobody answered the keychain's {action} prompt within {secs:g} s",
                                           action=what, secs=self.prompt_timeout_s)) from None
        dismissed, result = signal.body
        if dismissed:
            raise SecretServiceError(_("the keychain's {action} prompt was dismissed", action=what))
        return result

    def default_collection(self) -> str:
        """The default collection's path, created (the service may prompt for a password) when there is none."""
        (path,) = self.call(SERVICE_PATH, SERVICE_IFACE, "ReadAlias", "s", ("default",))
        if path != NO_OBJECT:
            return str(path)
        props = {"org.freedesktop.Secret.Collection.Label": ("s", "Default keyring")}
        path, prompt = self.call(SERVICE_PATH, SERVICE_IFACE, "CreateCollection", "a{sv}s", (props, "default"))
        if path == NO_OBJECT and prompt != NO_OBJECT:
            path = self.prompt(prompt, "create keyring")[1]
        if path == NO_OBJECT:
            raise SecretServiceError(_("the Secret Service has no default keyring and did not create one"))
        return str(path)

    def unlock(self, collection: str, items: tuple[str, ...] = ()) -> None:
        """Unlock the collection (and items) where locked; the service prompts the user for the password."""
        paths = [(collection, COLLECTION_IFACE), *((item, ITEM_IFACE) for item in items)]
        locked = [path for path, iface in paths if self.prop(path, iface, "Locked")]
        if not locked:
            return
        unlocked, prompt = self.call(SERVICE_PATH, SERVICE_IFACE, "Unlock", "ao", (locked,))
        if prompt != NO_OBJECT:
            unlocked = self.prompt(prompt, "unlock")[1]
        if set(locked) - set(unlocked):
            raise SecretServiceError(_("the keychain is locked and was not unlocked"))

    def find(self, collection: str, service: str, username: str) -> list[str]:
        (items,) = self.call(
            collection, COLLECTION_IFACE, "SearchItems", "a{ss}", ({"service": service, "username": username},)
        )
        return [str(i) for i in items]


def _explain(exc: DBusErrorResponse) -> str:
    if exc.name in ("org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner"):
        return _("no Secret Service on the D-Bus session bus ({name}): no keychain such as GNOME Keyring or KWallet "
                 "is running", name="org.freedesktop.secrets")
    if exc.data and isinstance(exc.data[0], str):
        return _("the Secret Service refused ({name}: {detail})", name=exc.name, detail=exc.data[0])
    return _("the Secret Service refused ({name})", name=exc.name)


class SecretServiceKeyring(KeyringBackend):
    """A keyring backend for the freedesktop Secret Service over jeepney, "plain" session (see the module doc)."""

    # keyring's SecretStorage backend has priority 5; this one does the same job. Only keystore picks it.
    priority = 5.0

    def __init__(self, timeout_s: float = CALL_TIMEOUT_S, prompt_timeout_s: float = PROMPT_TIMEOUT_S) -> None:
        super().__init__()
        self.timeout_s = timeout_s
        self.prompt_timeout_s = prompt_timeout_s

    @contextmanager
    def _client(self) -> Iterator[_Client]:
        address = _session_bus_address()
        try:
            conn = open_dbus_connection(bus=address)
        except SecretServiceError:
            raise
        except Exception as exc:  # a stale address, a refused socket, a failed authentication
            raise SecretServiceError(_("cannot connect to the D-Bus session bus ({kind}: {error})",
                                       kind=type(exc).__name__, error=str(exc))) from None
        try:
            client = _Client(conn, self.timeout_s, self.prompt_timeout_s)
            client.open_session()
            try:
                yield client
            finally:
                client.close_session()
        finally:
            conn.close()

    def get_password(self, service: str, username: str) -> str | None:
        with self._client() as c:
            collection = c.default_collection()
            items = c.find(collection, service, username)
            if not items:
                return None
            c.unlock(collection, (items[0],))
            (secret,) = c.call(items[0], ITEM_IFACE, "GetSecret", "o", (c.session,))
            _session, _params, value, _content_type = secret
            return bytes(value).decode("utf-8")

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._client() as c:
            collection = c.default_collection()
            c.unlock(collection)
            props = {
                f"{ITEM_IFACE}.Label": ("s", _label(service, username)),
                f"{ITEM_IFACE}.Attributes": (
                    "a{ss}",
                    {"application": APPLICATION, "service": service, "username": username},
                ),
            }
            secret = (c.session, b"", password.encode("utf-8"), "text/plain; charset=utf8")
            # replace=True: an item with the same attributes is overwritten, not duplicated.
            item, prompt = c.call(collection, COLLECTION_IFACE, "CreateItem", "a{sv}(oayays)b", (props, secret, True))
            if item == NO_OBJECT and prompt != NO_OBJECT:
                c.prompt(prompt, "store")

    def delete_password(self, service: str, username: str) -> None:
        with self._client() as c:
            collection = c.default_collection()
            items = c.find(collection, service, username)
            if not items:
                raise PasswordDeleteError(_("no such password in the keychain"))
            c.unlock(collection)
            for item in items:
                (prompt,) = c.call(item, ITEM_IFACE, "Delete")
                if prompt != NO_OBJECT:
                    c.prompt(prompt, "delete")
