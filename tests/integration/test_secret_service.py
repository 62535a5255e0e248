"""The Linux keychain backend against a real Secret Service: gnome-keyring-daemon on a private D-Bus session bus.

Each test gets its own dbus-daemon (a config with no service activation, so nothing else starts behind our back)
and, where it needs one, a gnome-keyring-daemon with a fresh HOME whose login keyring is created and unlocked
with a test password. libsecret's `secret-tool` reads and writes the same items, to prove they are normal Secret
Service items any other program sees.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

if not sys.platform.startswith("linux"):
    pytest.skip("the Secret Service is the Linux keychain", allow_module_level=True)

from jeepney import DBusAddress, new_method_call  # noqa: E402
from jeepney.bus_messages import message_bus  # noqa: E402
from jeepney.io.blocking import open_dbus_connection  # noqa: E402
from jeepney.wrappers import unwrap_msg  # noqa: E402
from keyring.errors import PasswordDeleteError  # noqa: E402

from streamdoctor.gui import keystore  # noqa: E402
from streamdoctor.platform.secret_service import (  # noqa: E402
    BUS_NAME,
    COLLECTION_IFACE,
    SERVICE_IFACE,
    SERVICE_PATH,
    SecretServiceError,
    SecretServiceKeyring,
)

DAEMONS = ("dbus-daemon", "gnome-keyring-daemon", "secret-tool")
PROMPTER = "/usr/libexec/gcr-prompter"  # gnome-keyring's password dialog (Debian: gcr, a gnome-keyring dependency)
pytestmark = pytest.mark.skipif(
    any(shutil.which(d) is None for d in DAEMONS),
    reason="needs dbus-daemon, gnome-keyring and libsecret-tools (scripts/bootstrap.sh test installs them)",
)

PASSWORD = "test-login-password"
SECRET = "sk-ant-api03-secret-service-test-key"  # never a real key
# Starting a daemon and its bus name appearing take milliseconds; the bounds only catch a daemon that hangs.
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={run}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=STOP_TIMEOUT_S)


@dataclass
class Bus:
    address: str
    env: dict[str, str]  # what a client program (secret-tool) needs to talk to this bus


@pytest.fixture
def session_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    """A private session bus with no service activation; this process's DBUS_SESSION_BUS_ADDRESS points at it."""
    # A short path of our own: unix socket paths are limited to 107 bytes and pytest's tmp_path can be long.
    root = Path(tempfile.mkdtemp(prefix="sd-bus-"))
    run = root / "run"
    home = root / "home"
    run.mkdir(mode=0o700)
    home.mkdir()
    config = root / "bus.conf"
    config.write_text(BUS_CONFIG.format(run=run), encoding="utf-8")
    proc = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT_S)
        assert ready, "dbus-daemon printed no address"
        address = proc.stdout.readline().decode().strip()
        assert address.startswith("unix:"), address
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "XDG_RUNTIME_DIR": str(run),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "DBUS_SESSION_BUS_ADDRESS": address,
        }
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield Bus(address, env)
    finally:
        _stop(proc)
        shutil.rmtree(root, ignore_errors=True)


def _call(address: str, path: str, iface: str, method: str, signature: str | None = None, body: tuple = ()) -> tuple:
    conn = open_dbus_connection(bus=address)
    try:
        msg = new_method_call(DBusAddress(path, BUS_NAME, iface), method, signature, body)
        return tuple(unwrap_msg(conn.send_and_get_reply(msg, timeout=START_TIMEOUT_S)))
    finally:
        conn.close()


def _name_has_owner(address: str, name: str) -> bool:
    conn = open_dbus_connection(bus=address)
    try:
        return bool(unwrap_msg(conn.send_and_get_reply(message_bus.NameHasOwner(name), timeout=START_TIMEOUT_S))[0])
    finally:
        conn.close()


@dataclass
class Keychain:
    bus: Bus
    collection: str = "/org/freedesktop/secrets/collection/login"

    def lock(self) -> None:
        _call(self.bus.address, SERVICE_PATH, SERVICE_IFACE, "Lock", "ao", ([self.collection],))

    def locked(self) -> bool:
        (value,) = _call(
            self.bus.address, self.collection, "org.freedesktop.DBus.Properties", "Get", "ss",
            (COLLECTION_IFACE, "Locked"),
        )  # fmt: skip
        return bool(value[1])

    def unlock_with_password(self) -> None:
        """What the desktop's unlock dialog does when the user types the password; gnome-keyring's own tests use
        this interface because a headless machine has no prompter to show that dialog."""
        conn = open_dbus_connection(bus=self.bus.address)
        try:
            svc = DBusAddress(SERVICE_PATH, BUS_NAME, SERVICE_IFACE)
            _out, session = unwrap_msg(
                conn.send_and_get_reply(new_method_call(svc, "OpenSession", "sv", ("plain", ("s", ""))))
            )
            iface = DBusAddress(SERVICE_PATH, BUS_NAME, "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface")
            secret = (session, b"", PASSWORD.encode(), "text/plain")
            unwrap_msg(
                conn.send_and_get_reply(
                    new_method_call(iface, "UnlockWithMasterPassword", "o(oayays)", (self.collection, secret)),
                    timeout=START_TIMEOUT_S,
                )
            )
        finally:
            conn.close()

    def secret_tool(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["secret-tool", *args], input=stdin, env=self.bus.env, capture_output=True, text=True,
            timeout=START_TIMEOUT_S,
        )  # fmt: skip


@pytest.fixture
def keychain(session_bus: Bus) -> Iterator[Keychain]:
    """gnome-keyring-daemon (secrets component only) on the private bus, its login keyring unlocked."""
    proc = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=session_bus.env,
    )
    try:
        assert proc.stdin is not None
        proc.stdin.write(PASSWORD.encode())  # --unlock reads the login keyring's password from stdin up to EOF
        proc.stdin.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _name_has_owner(session_bus.address, BUS_NAME):
            assert proc.poll() is None, f"gnome-keyring-daemon exited with {proc.returncode}"
            assert time.monotonic() < deadline, "gnome-keyring-daemon never took org.freedesktop.secrets"
            time.sleep(0.05)
        yield Keychain(session_bus)
    finally:
        _stop(proc)


def test_store_read_overwrite_delete(keychain: Keychain) -> None:
    backend = SecretServiceKeyring()
    assert backend.get_password("streamdoctor", "someone") is None
    backend.set_password("streamdoctor", "someone", SECRET)
    assert backend.get_password("streamdoctor", "someone") == SECRET
    backend.set_password("streamdoctor", "someone", SECRET + "-2")
    assert backend.get_password("streamdoctor", "someone") == SECRET + "-2"
    # Overwritten in place: one item, not two with the same attributes.
    found = keychain.secret_tool("search", "--all", "service", "streamdoctor", "username", "someone")
    assert found.returncode == 0, found.stderr
    listing = found.stdout + found.stderr  # secret-tool prints the attributes on stderr, the rest on stdout
    assert listing.count("label = Password for") == 1, listing
    # Another account of the same service is a separate item.
    assert backend.get_password("streamdoctor", "someone-else") is None
    backend.delete_password("streamdoctor", "someone")
    assert backend.get_password("streamdoctor", "someone") is None
    with pytest.raises(PasswordDeleteError):
        backend.delete_password("streamdoctor", "someone")


def test_other_clients_see_a_normal_item(keychain: Keychain) -> None:
    backend = SecretServiceKeyring()
    backend.set_password("streamdoctor", "someone", SECRET)
    looked_up = keychain.secret_tool("lookup", "service", "streamdoctor", "username", "someone")
    assert looked_up.returncode == 0, looked_up.stderr
    assert looked_up.stdout == SECRET
    listed = keychain.secret_tool("search", "--all", "service", "streamdoctor", "username", "someone")
    assert "label = Password for 'someone' on 'streamdoctor'" in listed.stdout + listed.stderr
    # And the other way round: an item another program stored is read back.
    stored = keychain.secret_tool(
        "store", "--label=from secret-tool", "service", "other", "username", "u", stdin="written-by-libsecret"
    )
    assert stored.returncode == 0, stored.stderr
    assert backend.get_password("other", "u") == "written-by-libsecret"


def test_a_locked_keychain_with_no_dialog_to_show_is_refused_in_one_line(keychain: Keychain) -> None:
    backend = SecretServiceKeyring(prompt_timeout_s=10)
    backend.set_password("streamdoctor", "someone", SECRET)
    keychain.lock()
    assert keychain.locked()
    # gnome-keyring answers Unlock with a prompt; with no prompter to show its dialog (no desktop) the prompt
    # completes as dismissed, which must come back as a refusal in words, and the secret must not be read.
    with pytest.raises(SecretServiceError) as refused:
        backend.get_password("streamdoctor", "someone")
    assert "prompt was dismissed" in str(refused.value) and "\n" not in str(refused.value)
    with pytest.raises(SecretServiceError):
        backend.set_password("streamdoctor", "someone", "not-stored")
    assert keychain.locked()
    # Once the user has unlocked it, the same calls work, and the refused write changed nothing.
    keychain.unlock_with_password()
    assert backend.get_password("streamdoctor", "someone") == SECRET


def test_no_secret_service_on_the_bus_is_one_clear_line(session_bus: Bus) -> None:
    with pytest.raises(SecretServiceError) as caught:
        SecretServiceKeyring().get_password("streamdoctor", "someone")
    message = str(caught.value)
    assert "no Secret Service on the D-Bus session bus" in message and "\n" not in message
    key, problem = keystore.load_key()
    assert (key, problem) == ("", message)
    assert keystore.save_key(SECRET) == message
    assert SECRET not in message


def test_no_session_bus_at_all_is_one_clear_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))  # no "bus" socket in it
    key, problem = keystore.load_key()
    assert key == "" and problem.startswith("no D-Bus session bus")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/gone")
    key, problem = keystore.load_key()
    assert key == "" and problem.startswith("cannot connect to the D-Bus session bus") and "\n" not in problem


def test_the_wizard_keystore_uses_the_secret_service(keychain: Keychain) -> None:
    assert isinstance(keystore.backend(), SecretServiceKeyring)
    assert keystore.load_key() == ("", "")
    assert keystore.save_key(SECRET) == ""
    assert keystore.load_key() == (SECRET, "")
    looked_up = keychain.secret_tool("lookup", "service", keystore.SERVICE, "username", keystore.ACCOUNT)
    assert looked_up.stdout == SECRET
    assert keystore.forget_key() == ""
    assert keystore.load_key() == ("", "")
    assert keystore.forget_key() == ""  # forgetting twice is fine


@pytest.fixture
def desktop(session_bus: Bus) -> Iterator[dict[str, str]]:
    """An X display (Xvfb) with gnome-keyring's real prompter on the bus: the unlock dialog a user would see."""
    if not (shutil.which("Xvfb") and shutil.which("xdotool") and os.path.exists(PROMPTER)):
        pytest.skip("needs Xvfb, xdotool and gcr's prompter (scripts/bootstrap.sh test installs them)")
    number = next((n for n in range(200 + os.getpid() % 500, 800) if not os.path.exists(f"/tmp/.X{n}-lock")), 799)
    display = f":{number}"
    xvfb = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "800x600x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # The prompter is a GTK program: started before Xvfb listens, it exits 1 at once (seen in a CI run under load).
    ready_by = time.monotonic() + START_TIMEOUT_S
    while not os.path.exists(f"/tmp/.X11-unix/X{number}"):
        assert xvfb.poll() is None, f"Xvfb {display} exited with {xvfb.returncode}"
        assert time.monotonic() < ready_by, f"Xvfb {display} never listened"
        time.sleep(0.05)
    env = {**session_bus.env, "DISPLAY": display}
    session_bus.env.update(env)  # the keyring daemon started next talks to this prompter
    prompter = subprocess.Popen([PROMPTER], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _name_has_owner(session_bus.address, "org.gnome.keyring.SystemPrompter"):
            assert prompter.poll() is None, f"gcr-prompter exited with {prompter.returncode}"
            assert time.monotonic() < deadline, "gcr-prompter never took its bus name"
            time.sleep(0.05)
        yield env
    finally:
        _stop(prompter)
        _stop(xvfb)


def _in_thread(call: Callable[[], object]) -> tuple[threading.Thread, dict[str, object]]:
    out: dict[str, object] = {}

    def run() -> None:
        try:
            out["value"] = call()
        except Exception as exc:
            out["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def _answer_dialog(env: dict[str, str], *keys: list[str]) -> None:
    """Wait (bounded) for the unlock dialog to be mapped, then type into it like a user."""
    found = subprocess.run(
        ["xdotool", "search", "--sync", "--onlyvisible", "--name", "."],
        env=env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
    )
    assert found.returncode == 0 and found.stdout.strip(), "no dialog appeared on the display"
    time.sleep(0.3)  # GTK maps the window before the password entry takes the keyboard focus
    for key in keys:
        subprocess.run(["xdotool", *key], env=env, check=True, timeout=START_TIMEOUT_S)


def test_a_locked_keychain_is_unlocked_by_the_user_in_the_service_dialog(
    desktop: dict[str, str], keychain: Keychain
) -> None:
    backend = SecretServiceKeyring(prompt_timeout_s=30)
    backend.set_password("streamdoctor", "someone", SECRET)
    keychain.lock()
    thread, out = _in_thread(lambda: backend.get_password("streamdoctor", "someone"))
    _answer_dialog(desktop, ["type", "--delay", "20", PASSWORD], ["key", "Return"])
    thread.join(timeout=40)
    assert not thread.is_alive()
    assert out == {"value": SECRET}
    assert not keychain.locked()


def test_a_dismissed_or_unanswered_unlock_dialog_is_a_refusal_in_words(
    desktop: dict[str, str], keychain: Keychain
) -> None:
    backend = SecretServiceKeyring(prompt_timeout_s=30)
    backend.set_password("streamdoctor", "someone", SECRET)
    keychain.lock()
    thread, out = _in_thread(lambda: backend.get_password("streamdoctor", "someone"))
    _answer_dialog(desktop, ["key", "Escape"])
    thread.join(timeout=40)
    assert not thread.is_alive()
    assert isinstance(out.get("error"), SecretServiceError), out
    assert "prompt was dismissed" in str(out["error"])
    # Nobody at the screen: the wait ends at the bound with its own message, and the key is not read.
    impatient = SecretServiceKeyring(prompt_timeout_s=2)
    with pytest.raises(SecretServiceError) as caught:
        impatient.get_password("streamdoctor", "someone")
    assert "nobody answered the keychain's unlock prompt within 2 s" == str(caught.value)
    assert keychain.locked()


FROZEN = Path(__file__).resolve().parents[2] / "dist" / "streamdoctor" / "streamdoctor"
FROZEN_TIMEOUT_S = 120  # the frozen app starting from a cold disk on a busy machine, then a few D-Bus calls


def _run_in_frozen_app(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `code` inside the frozen app: it is started as a multiprocessing spawn child (packaging/entry.py calls
    freeze_support(), the PAC evaluator's way in) and handed exec(code); the exit status is the code's. Only the
    frozen archive's modules are importable there (no sys.path is passed), so this tests what users get."""
    import multiprocessing
    from multiprocessing import context, reduction

    read_end, write_end = os.pipe()
    proc = subprocess.Popen(
        [str(FROZEN), "--multiprocessing-fork", f"pipe_handle={read_end}"],
        pass_fds=(read_end,),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(read_end)
    child = multiprocessing.get_context("spawn").Process(target=exec, args=(code, {}))
    context.set_spawning_popen(object())  # lets the child's authkey be pickled, as Popen does
    try:
        with open(write_end, "wb") as fh:
            reduction.dump({"name": "__mp_main__", "authkey": bytes(child.authkey)}, fh)
            reduction.dump(child, fh)
    finally:
        context.set_spawning_popen(None)
    try:
        out, err = proc.communicate(timeout=FROZEN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate(timeout=STOP_TIMEOUT_S)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


FROZEN_CODE = """
import sys
from streamdoctor.gui import keystore
print("frozen", getattr(sys, "frozen", False), "backend", type(keystore.backend()).__name__)
print("load", keystore.load_key()[0])
print("forget", repr(keystore.forget_key()), keystore.load_key())
print("save", repr(keystore.save_key("sk-ant-stored-by-the-frozen-app")))
for name in ("secretstorage", "cryptography"):
    try:
        __import__(name)
        print(name, "is in the build")
    except ImportError:
        pass
from pypac.parser import PACFile
print("pac", PACFile('function FindProxyForURL(u, h) { return "PROXY p.example:8080"; }').find_proxy_for_url("x", "x"))
gone = ("secretstorage", "cryptography", "cffi", "_cffi_backend", "pycparser")  # excluded from the build
print("loaded", sorted(m for m in sys.modules if m.split(".")[0] in gone))
"""


@pytest.mark.frozen
@pytest.mark.skipif(not FROZEN.exists(), reason="needs the frozen build (make dist-build)")
def test_the_frozen_app_uses_the_keychain_without_secretstorage(keychain: Keychain) -> None:
    stored = keychain.secret_tool(
        "store", "--label=x", "service", keystore.SERVICE, "username", keystore.ACCOUNT, stdin=SECRET
    )
    assert stored.returncode == 0, stored.stderr
    ran = _run_in_frozen_app(FROZEN_CODE, keychain.bus.env)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert ran.stdout.splitlines() == [
        "frozen True backend SecretServiceKeyring",  # (no asserts in FROZEN_CODE: the build is -OO)
        f"load {SECRET}",
        "forget '' ('', '')",
        "save ''",
        "pac PROXY p.example:8080",
        "loaded []",
    ], ran.stdout
    looked_up = keychain.secret_tool("lookup", "service", keystore.SERVICE, "username", keystore.ACCOUNT)
    assert looked_up.stdout == "sk-ant-stored-by-the-frozen-app"
