"""Starting the watch in the background, stopping it, and "start at login", for the wizard's tray (no Qt).

The watch runs as its own process (`streamdoctor watch ...`), not inside the wizard, so it keeps watching
after the window is closed and survives a wizard crash; the tray only reads its database. Start at login is
off unless the user asks: a desktop entry in ~/.config/autostart (Linux, XDG), a LaunchAgent (macOS), or a
value under HKCU\\...\\Run (Windows), each written atomically and removed by one call.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

from .pidfile import running_pid
from .store import default_path

AUTOSTART_NAME = "streamdoctor-watch"
MAC_LABEL = "com.streamdoctor.watch"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def watch_argv(base_url: str = "", lab: str = "", extra: tuple[str, ...] = ()) -> list[str]:
    """The command line that runs the headless watch: the frozen app's own binary, or this Python."""
    head = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "streamdoctor"]
    target = ["--lab", lab] if lab else (["--base-url", base_url] if base_url else [])
    return [*head, "watch", *target, *extra]


def start(base_url: str = "", lab: str = "", db: Path | None = None, cut_s: float | None = None) -> int:
    """Start the watch detached from this process; returns its pid (or the running watch's pid)."""
    db = db or default_path()
    running = running_pid(db)
    if running is not None:
        return running
    extra = ("--db", str(db)) + (("--cut", f"{cut_s:g}") if cut_s else ())  # hold around the measured cut
    argv = watch_argv(base_url, lab, extra)
    kwargs: dict[str, object] = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL,
                                 "stderr": subprocess.DEVNULL, "close_fds": True}
    if os.name == "nt":
        kwargs["creationflags"] = (getattr(subprocess, "DETACHED_PROCESS", 0)
                                   | getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
                                   | getattr(subprocess, "CREATE_NO_WINDOW", 0))
    else:
        kwargs["start_new_session"] = True  # not killed with the wizard's terminal or process group
    proc = subprocess.Popen(argv, **kwargs)  # type: ignore[call-overload]  # noqa: S603 (our own binary)
    return int(proc.pid)


STOP_WAIT_S = 5.0  # the watch ends within one 1 s tick of SIGTERM; past this it is left to end on its own


def stop(db: Path | None = None) -> bool:
    """Ask the running watch to stop (SIGTERM) and wait, bounded, until it has."""
    pid = running_pid(db or default_path())
    if pid is None:
        return False
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGTERM)
    import psutil

    with contextlib.suppress(psutil.Error):
        psutil.Process(pid).wait(STOP_WAIT_S)
    return True


# --- start at login --------------------------------------------------------------------------------------


def autostart_path(home: Path | None = None) -> Path:
    home = home or Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "LaunchAgents" / f"{MAC_LABEL}.plist"
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    return config / "autostart" / f"{AUTOSTART_NAME}.desktop"


def desktop_entry(argv: list[str]) -> str:
    return ("[Desktop Entry]\nType=Application\nName=Stream Doctor watch\n"
            "Comment=Watches for connection cuts in the background\n"
            f"Exec={shlex.join(argv)}\nTerminal=false\nX-GNOME-Autostart-enabled=true\nNoDisplay=true\n")


def launch_agent(argv: list[str]) -> bytes:
    import plistlib  # only on macOS, only when asked

    return plistlib.dumps({"Label": MAC_LABEL, "ProgramArguments": argv, "RunAtLoad": True,
                           "ProcessType": "Background"})


def enable_autostart(argv: list[str], home: Path | None = None) -> str:
    """Register argv to start at login; returns where (for the user)."""
    if sys.platform == "win32":
        import winreg

        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
            winreg.SetValueEx(key, "StreamDoctorWatch", 0, winreg.REG_SZ, subprocess.list2cmdline(argv))
        return f"HKCU\\{RUN_KEY}\\StreamDoctorWatch"
    from ..fixes.atomic import atomic_write  # here: the tray imports this module at the wizard's start

    path = autostart_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = launch_agent(argv) if sys.platform == "darwin" else desktop_entry(argv).encode()
    atomic_write(path, data, mode=0o644)
    return str(path)


def disable_autostart(home: Path | None = None) -> bool:
    if sys.platform == "win32":
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, "StreamDoctorWatch")
        except OSError:
            return False
        return True
    path = autostart_path(home)
    if not path.exists():
        return False
    path.unlink()
    return True


def autostart_enabled(home: Path | None = None) -> bool:
    if sys.platform == "win32":
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                winreg.QueryValueEx(key, "StreamDoctorWatch")
        except OSError:
            return False
        return True
    return autostart_path(home).exists()


def remove_all(db: Path | None = None, home: Path | None = None) -> None:
    """"Stop and remove" in one click: stop the watch, forget the login item, delete the record."""
    db = db or default_path()
    stop(db)
    disable_autostart(home)
    for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        with contextlib.suppress(OSError):
            p.unlink()
