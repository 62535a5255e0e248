"""Is this connection metered (a phone hotspot, a mobile data plan)? Asked of the OS before a large upload.

The request-size test sends about 1 MB; on a connection the user pays per byte for, it is skipped when the OS
says the connection is metered. One small interface, one reader per OS; a reader that cannot tell answers
None ("unknown") and the test runs, since most laptops are not metered and the OS said nothing.
- Linux: NetworkManager's per-device GENERAL.METERED (`nmcli -t -f GENERAL.DEVICE,GENERAL.METERED device
  show`: "yes", "no", "yes (guessed)", "no (guessed)", "unknown").
- Windows: the connection cost of the internet profile (WinRT NetworkInformation, via PowerShell):
  Unrestricted (not metered), Fixed or Variable (metered), Unknown.
- macOS: no command-line reader of the "Low Data Mode"/expensive flag exists, so: unknown.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from ...platform.command import run_command, untranslated_env

WINDOWS_COST = ("[Windows.Networking.Connectivity.NetworkInformation,Windows.Networking.Connectivity,"
                "ContentType=WindowsRuntime]::GetInternetConnectionProfile().GetConnectionCost().NetworkCostType")


@dataclass(frozen=True)
class Metered:
    metered: bool | None  # None: the OS did not say
    source: str  # what was asked
    raw: str = ""


def parse_nmcli_metered(text: str, device: str | None) -> bool | None:
    """`nmcli -t -f GENERAL.DEVICE,GENERAL.METERED device show`: the value for `device`, or when no device is
    known, "yes" if any device says yes. "(guessed)" values count: NetworkManager guesses from the link type."""
    values: dict[str, str] = {}
    current = ""
    for line in text.splitlines():
        key, _unused, value = line.partition(":")
        if key == "GENERAL.DEVICE":
            current = value.strip()
        elif key == "GENERAL.METERED" and current:
            values[current] = value.strip().lower()

    def word(v: str) -> bool | None:
        return True if v.startswith("yes") else False if v.startswith("no") else None

    if device and device in values:
        return word(values[device])
    answers = [word(v) for v in values.values()]
    if True in answers:
        return True
    return False if answers and all(a is False for a in answers) else None


def parse_windows_cost(text: str) -> bool | None:
    word = text.strip().splitlines()[-1].strip().lower() if text.strip() else ""
    return {"unrestricted": False, "fixed": True, "variable": True}.get(word)


def metered(device: str | None = None) -> Metered:
    """Ask the OS; never raises and never waits more than a few seconds."""
    if sys.platform.startswith("linux"):
        out = run_command(["nmcli", "-t", "-f", "GENERAL.DEVICE,GENERAL.METERED", "device", "show"], timeout_s=3.0,
                          env=untranslated_env())  # 'yes (guessed)' is translated in other languages
        if not out.ok:
            return Metered(None, f"NetworkManager: {out.why()}", out.raw())
        return Metered(parse_nmcli_metered(out.stdout, device), "NetworkManager (nmcli)", out.raw())
    if sys.platform == "win32":
        out = run_command(["powershell", "-NoProfile", "-NonInteractive", "-Command", WINDOWS_COST], timeout_s=5.0)
        if not out.ok:
            return Metered(None, f"Windows connection cost: {out.why()}", out.raw())
        return Metered(parse_windows_cost(out.stdout), "Windows connection cost", out.raw())
    return Metered(None, "this OS offers no metered flag to read")
