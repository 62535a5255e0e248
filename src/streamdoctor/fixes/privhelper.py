"""The privileged helper: the only Stream Doctor code that runs as administrator/root, kept small on purpose.

    python -m streamdoctor.fixes.privhelper set-mtu IFACE N
    python -m streamdoctor.fixes.privhelper revert-mtu IFACE N [--nm-value auto|N]
    python -m streamdoctor.fixes.privhelper capture-tcp IPV4 PORT SECONDS

capture-tcp (Linux) captures only TCP packets to or from IPV4:PORT (a kernel BPF filter), headers only, until
its stdin closes or SECONDS (1..900) pass; it prints a 'ready' line first, then the packets as JSON.

It trusts nothing it is given: the interface must be one of the names the OS enumerates right now
(psutil.net_if_stats(), exact match, so `eth0; rm -rf /`, `../x` and look-alikes such as a Cyrillic 'е' are
refused) and the MTU an ASCII integer in 576..9000. Commands are absolute paths from system folders, run with
argument lists, never through a shell. The last line of stdout is one JSON object describing what was done.
Exit codes: 0 done, 1 the system command failed, 2 the input was refused.

It refuses to run unconfined: from source only as `python -I` (elevate.py starts it so, from / with a minimal
environment), so a module planted in the current folder or a PYTHONPATH can never run as root. `--result-file`
exists only on Windows (runas cannot capture stdout) and never follows a symbolic link or junction.

On Linux, when NetworkManager manages the device the connection's MTU setting is changed (it survives a reboot
and NetworkManager would otherwise put the old value back) and re-applied; else `ip link set`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any

MTU_MIN, MTU_MAX = 576, 9000
# Letters and digits of any script (Windows names are localised, e.g. "Ethernet 2", "WLAN-Verbindung") and the
# punctuation real adapter names use; never shell or path syntax (; $ ` | & / \ quotes).
_IFACE_CHARS = re.compile(r"[\w .:()#+@-]{1,256}")
_SYSTEM_DIRS = ("/usr/sbin", "/sbin", "/usr/bin", "/bin")
_TIMEOUT_S = 30


class HelperError(Exception):
    """Refused input or a missing tool; exit code 2."""


class CommandFailedError(Exception):
    """A system command failed; exit code 1."""


def interface_names() -> set[str]:
    import psutil

    return set(psutil.net_if_stats())


def valid_interface(name: str, known: set[str] | None = None) -> str:
    """`name` if it is exactly one of the enumerated interfaces (and harmless as an argument), else HelperError."""
    known = interface_names() if known is None else known
    if (not isinstance(name, str) or not name or name.startswith("-") or len(name) > 256
            or any(unicodedata.category(c).startswith("C") for c in name)
            or unicodedata.normalize("NFKC", name) != name):
        raise HelperError(f"refused interface name {name!r}")
    if not _IFACE_CHARS.fullmatch(name):
        raise HelperError(f"refused interface name {name!r}: it has characters no interface name has")
    if name not in known:
        raise HelperError(f"refused interface name {name!r}: not one of this computer's interfaces")
    return name


def valid_mtu(text: str | int) -> int:
    s = str(text)
    if not re.fullmatch(r"[0-9]{3,4}", s):  # ASCII digits only: int() would also take '١٤٠٠' or ' 1400'
        raise HelperError(f"refused MTU {s!r}: give a whole number from {MTU_MIN} to {MTU_MAX}")
    value = int(s)
    if not MTU_MIN <= value <= MTU_MAX:
        raise HelperError(f"refused MTU {value}: it must be from {MTU_MIN} to {MTU_MAX}")
    return value


def system_binary(name: str) -> str:
    """An absolute path in a system folder; PATH is not consulted (it is the caller's, not root's)."""
    if sys.platform == "win32":
        path = os.path.join(os.environ.get("SystemRoot", r"C:\Windows"), "System32", f"{name}.exe")
        if os.path.exists(path):
            return path
    else:
        for folder in _SYSTEM_DIRS:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                return path
    raise HelperError(f"{name} was not found in the system folders")


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)


# --- NetworkManager (Linux) ------------------------------------------------------------------------------


@dataclass
class MtuPlan:
    interface: str
    method: str  # "nmcli", "ip", "networksetup", "netsh"
    connection: str = ""  # NetworkManager connection name (from nmcli itself, never from the caller)
    nm_key: str = ""  # e.g. 802-3-ethernet.mtu
    nm_value: str = ""  # the connection's MTU setting before the change ("auto" or a number)


def parse_nmcli_value(output: str) -> str:
    """`nmcli -t -g FIELD ...` prints the bare value; empty or '--' means unset."""
    value = output.strip().splitlines()[0].strip() if output.strip() else ""
    return "" if value == "--" else value


def nm_setting_key(connection_type: str) -> str:
    # The MTU lives in the connection's type-specific setting; these are the common types that have one.
    known = {"802-3-ethernet", "802-11-wireless", "wireguard", "infiniband", "ip-tunnel", "vlan", "bond",
             "bridge", "team", "pppoe", "macsec", "vxlan", "gsm", "cdma"}
    if connection_type not in known:
        return ""
    return "ppp.mtu" if connection_type == "pppoe" else f"{connection_type}.mtu"


def plan_mtu(interface: str) -> MtuPlan:
    """How this OS would set the MTU of `interface` (read-only; runs unprivileged for the preview)."""
    if sys.platform == "darwin":
        return MtuPlan(interface, "networksetup")
    if sys.platform == "win32":
        return MtuPlan(interface, "netsh")
    try:
        nmcli = system_binary("nmcli")
    except HelperError:
        return MtuPlan(interface, "ip")
    try:
        con = parse_nmcli_value(_run([nmcli, "-t", "-g", "GENERAL.CONNECTION", "device", "show", interface]).stdout)
        if not con:
            return MtuPlan(interface, "ip")
        ctype = parse_nmcli_value(_run([nmcli, "-t", "-g", "connection.type", "connection", "show", con]).stdout)
        key = nm_setting_key(ctype)
        if not key:
            return MtuPlan(interface, "ip")
        value = parse_nmcli_value(_run([nmcli, "-t", "-g", key, "connection", "show", con]).stdout) or "auto"
    except (OSError, subprocess.TimeoutExpired):
        return MtuPlan(interface, "ip")
    return MtuPlan(interface, "nmcli", con, key, value)


def commands(plan: MtuPlan, mtu: int, nm_value: str | None = None) -> list[list[str]]:
    """The exact commands that set `mtu` (and, with nm_value, put NetworkManager's setting to that value)."""
    i = plan.interface
    if plan.method == "networksetup":
        return [["/usr/sbin/networksetup", "-setMTU", i, str(mtu)]]
    if plan.method == "netsh":
        netsh = os.path.join(os.environ.get("SystemRoot", r"C:\Windows"), "System32", "netsh.exe")
        return [[netsh, "interface", "ipv4", "set", "subinterface", i, f"mtu={mtu}", "store=persistent"]]
    ip = _binary_or_name("ip")
    if plan.method == "nmcli":
        nmcli = _binary_or_name("nmcli")
        setting = nm_value if nm_value is not None else str(mtu)
        setting = "0" if setting == "auto" else setting  # 0 is NetworkManager's "automatic"
        return [[nmcli, "connection", "modify", plan.connection, plan.nm_key, setting],
                [nmcli, "device", "reapply", i],
                [ip, "link", "set", "dev", i, "mtu", str(mtu)]]
    return [[ip, "link", "set", "dev", i, "mtu", str(mtu)]]


def _binary_or_name(name: str) -> str:
    try:
        return system_binary(name)
    except HelperError:
        return f"/usr/sbin/{name}"


def current_mtu(interface: str) -> int | None:
    import psutil

    stats = psutil.net_if_stats().get(interface)
    return stats.mtu if stats is not None else None


def set_mtu(interface: str, mtu: int, nm_value: str | None = None) -> dict[str, Any]:
    plan = plan_mtu(interface)
    previous = current_mtu(interface)
    done = []
    for argv in commands(plan, mtu, nm_value):
        result = _run(argv)
        done.append(" ".join(argv))
        if result.returncode != 0:
            if plan.method == "nmcli" and argv[1:3] == ["device", "reapply"]:
                continue  # some drivers refuse a live reapply; the ip command below applies the MTU now
            raise CommandFailedError(f"{' '.join(argv)} failed: {(result.stderr or result.stdout).strip()[:200]}")
    return {"ok": True, **asdict(plan), "previous_mtu": previous, "mtu": current_mtu(interface), "commands": done}


def _result_file(args: list[str]) -> tuple[list[str], str | None]:
    """Windows' runas cannot capture stdout: the answer goes to a fresh file in a sd-privhelper-* temp folder
    (created exclusively, so the elevated side never overwrites an existing file it was pointed at). Refused on
    every other OS, and refused when the folder (or the file) is a symbolic link or junction."""
    if "--result-file" not in args:
        return args, None
    if sys.platform != "win32" or len(args) < 2 or args[-2] != "--result-file":
        raise HelperError("refused result file: --result-file is for Windows only")
    path = args[-1]
    folder = os.path.dirname(path)
    if (not os.path.isabs(path) or not os.path.basename(folder).startswith("sd-privhelper-")
            or _is_link(folder) or os.path.lexists(path)):
        raise HelperError("refused result file")
    return args[:-2], path


def _is_link(path: str) -> bool:
    """A symbolic link or a Windows junction/reparse point, or not a plain folder at all."""
    import stat

    try:
        st = os.lstat(path)
    except OSError:
        return True
    reparse = getattr(st, "st_file_attributes", 0) & getattr(stat, "FILE_ATTRIBUTE_REPARSE_POINT", 0x400)
    return stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode) or bool(reparse)


def confined() -> bool:
    """Whether this process runs isolated: a frozen build (its sys.path is the bundle), or `python -I`."""
    return bool(getattr(sys, "frozen", False) or sys.flags.isolated)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    result_path = None
    code = 0
    try:
        if not confined():
            raise HelperError("refused: the helper runs only isolated (python -I, or the frozen app)")
        args, result_path = _result_file(args)
        out = _dispatch(args)
    except HelperError as exc:
        out, code = {"ok": False, "refused": True, "error": str(exc)}, 2
    except (CommandFailedError, OSError, subprocess.TimeoutExpired) as exc:
        out, code = {"ok": False, "refused": False, "error": str(exc)}, 1
    text = json.dumps(out)
    print(text)
    if result_path:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(result_path, flags, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return code


CAPTURE_MAX_S = 900  # the longest idle test (420 s) plus the stream test, with room to spare


def valid_ipv4(text: str) -> str:
    """A unicast IPv4 address in dotted ASCII digits (no names, no ranges, no 0.0.0.0 or multicast)."""
    import ipaddress

    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{1,3}(\.[0-9]{1,3}){3}", text):
        raise HelperError(f"refused address {text!r}: give an IPv4 address")
    try:
        addr = ipaddress.IPv4Address(text)
    except ValueError:
        raise HelperError(f"refused address {text!r}: give an IPv4 address") from None
    if addr.is_unspecified or addr.is_multicast or str(addr) == "255.255.255.255":
        raise HelperError(f"refused address {text!r}: not a single host")
    return str(addr)


def valid_int(text: str, low: int, high: int, what: str) -> int:
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{1,5}", text) or not low <= int(text) <= high:
        raise HelperError(f"refused {what} {text!r}: give a whole number from {low} to {high}")
    return int(text)


def capture_tcp(address: str, port: int, seconds: int) -> dict[str, Any]:
    if not sys.platform.startswith("linux"):
        raise HelperError("packet capture is implemented for Linux only in this version")
    from ..capture.linux import capture

    return capture(address, port, seconds)


def _dispatch(args: list[str]) -> dict[str, Any]:
    if len(args) == 4 and args[0] == "capture-tcp":
        return capture_tcp(valid_ipv4(args[1]), valid_int(args[2], 1, 65535, "port"),
                           valid_int(args[3], 1, CAPTURE_MAX_S, "duration"))
    if len(args) == 3 and args[0] == "set-mtu":
        return set_mtu(valid_interface(args[1]), valid_mtu(args[2]))
    if args[:1] == ["revert-mtu"] and len(args) in (3, 5):
        nm_value = None
        if len(args) == 5:
            if args[3] != "--nm-value":
                raise HelperError("usage: revert-mtu IFACE N [--nm-value auto|N]")
            nm_value = "auto" if args[4] in ("auto", "0") else str(valid_mtu(args[4]))
        return set_mtu(valid_interface(args[1]), valid_mtu(args[2]), nm_value)
    raise HelperError("usage: set-mtu IFACE N | revert-mtu IFACE N [--nm-value auto|N] | "
                      "capture-tcp IPV4 PORT SECONDS")


if __name__ == "__main__":
    sys.exit(main())
