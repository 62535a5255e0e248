"""Run the privileged helper as administrator: directly when already root/admin, else through the OS's own
prompt (pkexec on Linux, osascript "with administrator privileges" on macOS, UAC "runas" on Windows).

Only streamdoctor.fixes.privhelper is ever elevated, always with an argument list; the helper validates its
arguments again itself, because the elevated side must not trust the unprivileged one.

The helper runs confined (issue 14 item 2): `python -I` (isolated: neither the current folder nor the user's
site-packages on sys.path, every PYTHON* variable ignored), from a fixed folder (/ or the Windows system folder)
and with a minimal environment made here, so a `psutil.py` (or any module) in the folder the user ran Stream
Doctor from is never imported as root. A frozen build runs itself (--privhelper): its sys.path is the bundle only,
and it gets the same folder and environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ..i18n import _
from .journal import FixError

PKEXEC_DISMISSED, PKEXEC_DENIED = 126, 127
_TIMEOUT_S = 300  # the user may take a while to type a password


class ElevationRefusedError(FixError):
    pass


def helper_argv(args: list[str]) -> list[str]:
    """The helper's command line. A frozen build runs itself with --privhelper (routed in __main__); from source,
    `python -I -m` (isolated mode: no cwd, no user site, no PYTHON* variables)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "--privhelper", *args]
    return [sys.executable, "-I", "-m", "streamdoctor.fixes.privhelper", *args]


def helper_cwd() -> str:
    """A folder only the administrator can write: the helper never starts in the user's current folder."""
    if sys.platform == "win32":
        return os.path.join(os.environ.get("SystemRoot", r"C:\Windows"), "System32")
    return "/"


# The helper needs no variable of the caller's: a fixed PATH of system folders (its commands are absolute paths
# anyway), a UTF-8 C locale, and on Windows the two variables Windows programs cannot start without.
_HELPER_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def helper_env() -> dict[str, str]:
    """The helper's whole environment: nothing inherited but what Windows itself requires."""
    if sys.platform == "win32":
        root = os.environ.get("SystemRoot", r"C:\Windows")
        return {"SystemRoot": root, "windir": root, "PATH": os.path.join(root, "System32")}
    return {"PATH": _HELPER_PATH, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}


def is_admin() -> bool:
    if sys.platform == "win32":
        import ctypes

        try:
            return bool(ctypes.windll.shell32.IsUserAnAdmin())  # type: ignore[attr-defined]
        except OSError:
            return False
    return os.geteuid() == 0


def run_helper(args: list[str]) -> dict[str, Any]:
    """Run the helper elevated and return its JSON answer; raises FixError with one line on any failure."""
    argv = helper_argv(args)
    confined: dict[str, Any] = {"cwd": helper_cwd(), "env": helper_env()}
    if is_admin():
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False, **confined)
        return _answer(proc.returncode, proc.stdout, proc.stderr)
    if sys.platform == "win32":
        return _run_windows(argv)
    if sys.platform == "darwin":
        proc = subprocess.run(osascript_argv(argv), capture_output=True, text=True, timeout=_TIMEOUT_S, check=False,
                              **confined)
        if proc.returncode != 0 and "-128" in proc.stderr:
            raise ElevationRefusedError(_("the administrator password prompt was cancelled; nothing was changed"))
        return _answer(proc.returncode, proc.stdout.replace("\r", "\n"), proc.stderr)
    pkexec = next((p for p in ("/usr/bin/pkexec", "/bin/pkexec") if os.path.exists(p)), None)
    if pkexec is None:
        raise ElevationRefusedError(_("this change needs root and pkexec is not installed; run the same command "
                                      "with sudo"))
    proc = subprocess.run([pkexec, *argv], capture_output=True, text=True, timeout=_TIMEOUT_S, check=False,
                          **confined)
    if proc.returncode == PKEXEC_DISMISSED:
        raise ElevationRefusedError(_("the administrator password prompt was dismissed; nothing was changed"))
    if proc.returncode == PKEXEC_DENIED:
        raise ElevationRefusedError(_("the system did not allow the change (not authorised); ask an administrator, "
                                      "or run the same command with sudo"))
    return _answer(proc.returncode, proc.stdout, proc.stderr)


def osascript_argv(argv: list[str]) -> list[str]:
    """osascript running `argv` as administrator. The arguments travel as osascript's own argv and are quoted
    by AppleScript's `quoted form of`, so nothing in them is ever parsed as shell syntax."""
    script = [
        "on run argv",
        'set cmd to ""',
        "repeat with a in argv",
        'set cmd to cmd & quoted form of (a as text) & " "',
        "end repeat",
        "do shell script cmd with administrator privileges",
        "end run",
    ]
    out = ["/usr/bin/osascript"]
    for line in script:
        out += ["-e", line]
    return [*out, *argv]


def _answer(code: int, stdout: str, stderr: str) -> dict[str, Any]:
    lines = [line for line in stdout.strip().splitlines() if line.strip().startswith("{")]
    try:
        answer: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    except ValueError:
        answer = {}
    if code == 0 and answer.get("ok"):
        return answer
    why = answer.get("error") or (stderr.strip().splitlines() or [_("no output")])[-1]
    raise FixError(_("the privileged helper failed: {error}", error=why))


def _run_windows(argv: list[str]) -> dict[str, Any]:  # pragma: no cover - needs Windows and a UAC prompt
    import ctypes
    from ctypes import wintypes

    result_dir = Path(tempfile.mkdtemp(prefix="sd-privhelper-"))
    result_file = result_dir / "result.json"
    params = subprocess.list2cmdline([*argv[1:], "--result-file", str(result_file)])

    class ShellExecuteInfo(ctypes.Structure):
        _fields_ = [("cbSize", wintypes.DWORD), ("fMask", ctypes.c_ulong), ("hwnd", wintypes.HWND),
                    ("lpVerb", wintypes.LPCWSTR), ("lpFile", wintypes.LPCWSTR), ("lpParameters", wintypes.LPCWSTR),
                    ("lpDirectory", wintypes.LPCWSTR), ("nShow", ctypes.c_int), ("hInstApp", wintypes.HINSTANCE),
                    ("lpIDList", ctypes.c_void_p), ("lpClass", wintypes.LPCWSTR), ("hkeyClass", wintypes.HKEY),
                    ("dwHotKey", wintypes.DWORD), ("hIcon", wintypes.HANDLE), ("hProcess", wintypes.HANDLE)]

    info = ShellExecuteInfo()
    info.cbSize = ctypes.sizeof(info)
    info.fMask = 0x00000040  # SEE_MASK_NOCLOSEPROCESS: we wait for the helper and read its exit code
    info.lpVerb, info.lpFile, info.lpParameters, info.nShow = "runas", argv[0], params, 0
    info.lpDirectory = helper_cwd()  # never the user's current folder
    if not ctypes.windll.shell32.ShellExecuteExW(ctypes.byref(info)):  # type: ignore[attr-defined]
        if ctypes.get_last_error() == 1223 or ctypes.GetLastError() == 1223:  # type: ignore[attr-defined]
            raise ElevationRefusedError(_("the administrator prompt was cancelled; nothing was changed"))
        raise ElevationRefusedError(_("Windows did not start the helper as administrator"))
    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    kernel32.WaitForSingleObject(info.hProcess, _TIMEOUT_S * 1000)
    code = wintypes.DWORD()
    kernel32.GetExitCodeProcess(info.hProcess, ctypes.byref(code))
    kernel32.CloseHandle(info.hProcess)
    deadline = time.monotonic() + 2
    while not result_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    stdout = result_file.read_text(encoding="utf-8") if result_file.exists() else ""
    return _answer(int(code.value), stdout, "")
