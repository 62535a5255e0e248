"""Environment variables for the user's future sessions, per OS, behind one small interface.

- Linux: a file in ~/.config/environment.d/ (read by systemd --user at login, so desktop apps and terminals
  get it); login shells outside systemd can source the same file from ~/.profile (the preview says how).
- macOS: `launchctl setenv` (apps started from now on) plus a marked block in ~/.zprofile (terminals, and
  after a reboot, since launchctl's setting does not survive one).
- Windows: HKCU\\Environment (the user environment), then WM_SETTINGCHANGE so Explorer hands it to new programs.

What each backend would write is a pure function (tested on every OS); only the Linux one runs for real here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from ..i18n import _
from . import journal
from .atomic import real_target

MARK_BEGIN = "# >>> streamdoctor {name} >>>"
MARK_END = "# <<< streamdoctor {name} <<<"


def check_values(updates: dict[str, str]) -> None:
    for key, value in updates.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) or any(c in value for c in "\r\n\0"):
            raise journal.FixError(_("refusing to set {name}: not a plain variable name and one-line value",
                                     name=repr(key)))


class SessionEnvironment:
    name = ""

    def describe(self, fix_id: str, updates: dict[str, str]) -> str:
        raise NotImplementedError

    def apply(self, tx: journal.Transaction, fix_id: str, updates: dict[str, str]) -> None:
        raise NotImplementedError

    def read(self, fix_id: str, keys: list[str]) -> dict[str, str]:
        raise NotImplementedError


# --- Linux -------------------------------------------------------------------------------------------------


def environment_d_text(fix_id: str, updates: dict[str, str]) -> str:
    """environment.d(5) lines; values are double-quoted with \\, " and $ escaped, so nothing is expanded."""
    lines = [f"# Written by Stream Doctor (fix {fix_id}); undo: streamdoctor fix undo {fix_id}"]
    for key, value in updates.items():
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$")
        lines.append(f'{key}="{escaped}"')
    return "\n".join(lines) + "\n"


def parse_environment_d(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        m = re.fullmatch(r'\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)', line)
        if not m or line.lstrip().startswith("#"):
            continue
        value = m.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = re.sub(r'\\(.)', r"\1", value[1:-1])
        out[m.group(1)] = value
    return out


class LinuxEnvironmentD(SessionEnvironment):
    name = "environment.d"

    def path(self, fix_id: str) -> Path:
        base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        return Path(base) / "environment.d" / f"60-streamdoctor-{fix_id}.conf"

    def describe(self, fix_id: str, updates: dict[str, str]) -> str:
        p = self.path(fix_id)
        # TRANSLATORS: {content} is the file's text and {line} a shell command: both stay as they are
        line = '  set -a; [ -r "' + str(p) + '" ] && . "' + str(p) + '"; set +a'  # a shell line, not prose
        return _("writes {path}:\n{content}\nDesktop sessions read it at the next login. Logins outside the desktop "
                 "(ssh, a text console) can add this line to ~/.profile:\n{line}", path=str(p),
                 content=environment_d_text(fix_id, updates), line=line)

    def apply(self, tx: journal.Transaction, fix_id: str, updates: dict[str, str]) -> None:
        tx.write_file(self.path(fix_id), environment_d_text(fix_id, updates).encode(), mode=0o644)

    def read(self, fix_id: str, keys: list[str]) -> dict[str, str]:
        try:
            values = parse_environment_d(self.path(fix_id).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {k: values[k] for k in keys if k in values}


# --- macOS -------------------------------------------------------------------------------------------------


def launchctl_commands(updates: dict[str, str]) -> list[list[str]]:
    return [["/bin/launchctl", "setenv", k, v] for k, v in updates.items()]


def _sh_quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def profile_with_block(text: str, fix_id: str, updates: dict[str, str]) -> str:
    """`text` (a shell profile) with our marked block for `fix_id` replaced or appended; the rest untouched."""
    begin, end = MARK_BEGIN.format(name=fix_id), MARK_END.format(name=fix_id)
    block = "\n".join([begin, *(f"export {k}={_sh_quote(v)}" for k, v in updates.items()), end]) + "\n"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.DOTALL)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text, count=1)
    sep = "" if not text or text.endswith("\n") else "\n"
    return text + sep + block


class MacLaunchd(SessionEnvironment):  # pragma: no cover - the launchctl part needs macOS
    name = "launchctl + ~/.zprofile"

    def profile(self) -> Path:
        return Path.home() / ".zprofile"

    def describe(self, fix_id: str, updates: dict[str, str]) -> str:
        cmds = "\n".join(" ".join(c) for c in launchctl_commands(updates))
        return _("runs:\n{commands}\nand adds to {path}:\n{content}", commands=cmds, path=str(self.profile()),
                 content=profile_with_block("", fix_id, updates))

    def apply(self, tx: journal.Transaction, fix_id: str, updates: dict[str, str]) -> None:
        previous = {k: _launchctl_get(k) for k in updates}
        tx.action({"kind": "launchctl-env", "previous": previous}, lambda: _launchctl_set(dict(updates)))
        path = self.profile()
        text = path.read_text(encoding="utf-8") if real_target(path).exists() else ""
        tx.write_file(path, profile_with_block(text, fix_id, updates).encode())

    def read(self, fix_id: str, keys: list[str]) -> dict[str, str]:
        return {k: v for k in keys if (v := _launchctl_get(k))}


def _launchctl_get(key: str) -> str:
    proc = subprocess.run(["/bin/launchctl", "getenv", key], capture_output=True, text=True, timeout=10, check=False)
    return proc.stdout.strip()


def _launchctl_set(updates: dict[str, str] | dict[str, str | None]) -> None:
    for key, value in updates.items():
        argv = ["/bin/launchctl", "setenv", key, value] if value else ["/bin/launchctl", "unsetenv", key]
        subprocess.run(argv, capture_output=True, timeout=10, check=False)


def _undo_launchctl(step: dict[str, Any], record: journal.JournalRecord) -> None:
    if sys.platform == "darwin":
        _launchctl_set({k: v or None for k, v in step["previous"].items()})


# The only variables the env fixes set (env.py), so the only names an undo may touch.
_ENV_KEYS = frozenset({"HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS"})


def _validate_previous_env(step: dict[str, Any], record: journal.JournalRecord) -> None:
    """A journaled environment step: variable names from the fixes' own list, values plain strings (or None)."""
    previous = step.get("previous")
    if not isinstance(previous, dict) or not all(
            isinstance(k, str) and k in _ENV_KEYS for k in previous):
        raise journal.RefusedRecordError(_("record {record}: refused the environment step", record=record.id))
    for v in previous.values():
        if isinstance(v, list):  # Windows: [value, registry type]; only the two string types
            if len(v) != 2 or v[1] not in (REG_SZ, REG_EXPAND_SZ):
                raise journal.RefusedRecordError(_("record {record}: refused an environment value",
                                                   record=record.id))
            v = v[0]
        if v is not None and (not isinstance(v, str) or "\0" in v):
            raise journal.RefusedRecordError(_("record {record}: refused an environment value", record=record.id))


journal.register_undo("launchctl-env", _undo_launchctl, _validate_previous_env)


# --- Windows -----------------------------------------------------------------------------------------------

REG_SZ, REG_EXPAND_SZ = 1, 2


def registry_values(updates: dict[str, str]) -> dict[str, tuple[str, int]]:
    """What goes under HKCU\\Environment: REG_EXPAND_SZ when the value uses %VARS%, like Windows' own editor."""
    return {k: (v, REG_EXPAND_SZ if re.search(r"%[^%]+%", v) else REG_SZ) for k, v in updates.items()}


class WindowsUserEnvironment(SessionEnvironment):  # pragma: no cover - needs Windows
    name = r"HKCU\Environment"

    def describe(self, fix_id: str, updates: dict[str, str]) -> str:
        lines = [f"  {k} = {v}  ({'REG_EXPAND_SZ' if t == REG_EXPAND_SZ else 'REG_SZ'})"
                 for k, (v, t) in registry_values(updates).items()]
        return _("sets in {key} (your user environment; programs started from now on see it):\n{values}",
                 key=r"HKCU\Environment", values="\n".join(lines))

    def apply(self, tx: journal.Transaction, fix_id: str, updates: dict[str, str]) -> None:
        previous = {k: _reg_get(k) for k in updates}
        values: dict[str, list[Any] | None] = {k: list(v) for k, v in registry_values(updates).items()}
        tx.action({"kind": "win-user-env", "previous": previous}, lambda: _reg_set(values))

    def read(self, fix_id: str, keys: list[str]) -> dict[str, str]:
        return {k: v[0] for k in keys if (v := _reg_get(k))}


def _reg_get(key: str) -> list[Any] | None:  # pragma: no cover - needs Windows
    if sys.platform != "win32":
        return None
    import winreg

    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, "Environment") as k:
        try:
            value, kind = winreg.QueryValueEx(k, key)
        except FileNotFoundError:
            return None
    return [value, kind]


def _reg_set(values: dict[str, list[Any] | None]) -> None:  # pragma: no cover - needs Windows
    if sys.platform != "win32":
        return
    import ctypes
    import winreg

    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, "Environment", 0, winreg.KEY_SET_VALUE) as k:
        for key, v in values.items():
            if v is None:
                try:
                    winreg.DeleteValue(k, key)
                except FileNotFoundError:
                    pass
            else:
                winreg.SetValueEx(k, key, 0, int(v[1]), str(v[0]))
    HWND_BROADCAST, WM_SETTINGCHANGE, SMTO_ABORTIFHUNG = 0xFFFF, 0x001A, 0x0002
    result = ctypes.c_ulong()
    ctypes.windll.user32.SendMessageTimeoutW(
        HWND_BROADCAST, WM_SETTINGCHANGE, 0, "Environment", SMTO_ABORTIFHUNG, 5000, ctypes.byref(result))


def _undo_win_env(step: dict[str, Any], record: journal.JournalRecord) -> None:
    if sys.platform == "win32":
        _reg_set(dict(step["previous"].items()))


journal.register_undo("win-user-env", _undo_win_env, _validate_previous_env)


def for_this_os() -> SessionEnvironment:
    if sys.platform == "win32":
        return WindowsUserEnvironment()
    if sys.platform == "darwin":
        return MacLaunchd()
    return LinuxEnvironmentD()
