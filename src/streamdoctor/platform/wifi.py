"""The Wi-Fi network name (SSID), where the OS gives it: cuts that happen "only in the office" show up as
"only on network X". Parsers are pure; `wifi_name()` runs one short command with a time limit and returns
None when there is no Wi-Fi, no tool, or the OS withholds the name: macOS 14+ hides it from apps without
location permission and prints "Current Wi-Fi Network: <redacted>" (15 often "You are not associated with an
AirPort network." while connected); Windows 11 answers "Network shell commands need location permission".
"""

from __future__ import annotations

import re
import shutil
import sys

from .command import run_command, untranslated_env

TIMEOUT_S = 2.0  # the commands answer in milliseconds; a hung one must not stall the watch
# What macOS prints in place of the name for a process without location permission: a non-answer, not a network.
WITHHELD_NAMES = ("<redacted>",)


def parse_nmcli_active(text: str) -> str | None:
    """`nmcli -t -f active,ssid dev wifi`: lines 'yes:NAME' / 'no:OTHER' (colons in NAME escaped as '\\:').
    nmcli translates 'yes' ('oui' in French): `wifi_name()` runs it in the C locale, as nmcli(1) asks scripts to."""
    for line in text.splitlines():
        active, sep, ssid = line.partition(":")
        if sep and active == "yes" and ssid:
            return ssid.replace("\\:", ":")
    return None


def parse_iwgetid(text: str) -> str | None:
    """`iwgetid -r`: just the name, or nothing when not associated."""
    name = text.strip()
    return name or None


def parse_networksetup(text: str) -> str | None:
    """macOS `networksetup -getairportnetwork en0`: 'Current Wi-Fi Network: NAME'."""
    m = re.search(r"^Current Wi-Fi Network: (.+)$", text, re.MULTILINE)
    name = m.group(1).strip() if m else ""
    return name if name and name not in WITHHELD_NAMES else None


def parse_netsh_wlan(text: str) -> str | None:
    """Windows `netsh wlan show interfaces`: the 'SSID : NAME' line (the label is not translated; 'BSSID' is
    a different line and must not match)."""
    m = re.search(r"^\s*SSID\s*:\s*(.+?)\s*$", text, re.MULTILINE)
    return m.group(1) if m else None


def wifi_name() -> str | None:
    if sys.platform == "win32":
        argv, parse = ["netsh", "wlan", "show", "interfaces"], parse_netsh_wlan
    elif sys.platform == "darwin":
        argv, parse = ["/usr/sbin/networksetup", "-getairportnetwork", "en0"], parse_networksetup
    elif shutil.which("nmcli"):
        argv, parse = ["nmcli", "-t", "-f", "active,ssid", "dev", "wifi"], parse_nmcli_active
    elif shutil.which("iwgetid"):
        argv, parse = ["iwgetid", "-r"], parse_iwgetid
    else:
        return None
    result = run_command(argv, timeout_s=TIMEOUT_S, env=untranslated_env() if argv[0] == "nmcli" else None)
    return parse(result.stdout) if result.ok else None

