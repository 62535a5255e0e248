"""The OS ping with "don't fragment", as a second opinion on the path MTU: argument lists and output parsers
for Linux (iputils), macOS and Windows (localised), kept as pure functions tested on recorded outputs.

Exit codes differ: Linux 0 reply / 1 no reply / 2 error; macOS 0 reply / 2 no reply / 68 unknown host;
Windows 0 even when the destination was unreachable, so its replies are recognised by "TTL=" (the one token
every language keeps) and never by the exit code; Windows IPv6 replies carry no TTL= ("Reply from 2001:db8::1:
time=20ms"), so a line naming an address and a round-trip time counts too. The outputs these parsers are proven
on are real captures from other people's machines: tests/fixtures/captures/INDEX.toml.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass

IPV4_OVERHEAD = 28  # IP header 20 + ICMP header 8: ping's -s/-l is the payload, the MTU is the whole packet
IPV6_OVERHEAD = 48

_MTU_RE = re.compile(r"mtu\s*[=:]?\s*(\d{3,5})", re.IGNORECASE)
_LINUX_REPLY_RE = re.compile(r"^\d+ bytes from .*(icmp_seq|icmp_req)=", re.MULTILINE)
_MAC_REPLY_RE = re.compile(r"^\d+ bytes from [^:]+: icmp_seq=\d+ ttl=", re.MULTILINE)
_WIN_TTL_RE = re.compile(r"TTL=\d+", re.IGNORECASE)
# A reply line without TTL= (IPv6): an address, then a round-trip time "=20ms" / "<1ms" / "=7ms" in any language.
# Statistics lines ("Minimum = 20ms") name no address; "Destination host unreachable" lines carry no time.
_WIN_V6_REPLY_RE = re.compile(r"(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]*:[0-9a-f:.%]*:[0-9a-f.%]*).*[=<]\s*\d+\s*ms\b",
                              re.IGNORECASE)
# Windows' "Packet needs to be fragmented but DF set." per language. Proven on real captures (INDEX.toml): en,
# de (Windows 10/11 say "Paket müsste fragmentiert werden", older ones "muss"), ja, zh, es. The others are the
# wording reported for those languages but not yet seen in a real capture (docs/real-captures.md). Any line that
# mentions DF without a TTL is treated the same, so an unknown language still reads as "too big".
_WIN_FRAG_PHRASES = ("needs to be fragmented", "fragmentiert werden", "断片化が必要", "需要拆分", "需要分片",
                     "es necesario fragmentar", "doit être fragmenté", "deve essere frammentato",
                     "precisa ser fragmentado", "moet worden gefragmenteerd", "требуется фрагментация",
                     "musi być pofragmentowany")


@dataclass
class PingOutcome:
    """One DF ping of one size: a reply came, the packet was too big (with the MTU when the OS says it),
    nothing came back, or the ping could not run."""

    size: int  # whole IP packet, bytes
    reply: bool = False
    too_big: bool = False  # a local "message too long" or a router's "frag needed"
    mtu: int | None = None  # the MTU the OS or a router named, when it did
    error: str = ""  # ping could not run at all (no binary, bad argument, unknown host)
    raw: str = ""


def overhead(ipv6: bool) -> int:
    return IPV6_OVERHEAD if ipv6 else IPV4_OVERHEAD


def ping_argv(address: str, size: int, timeout_s: float, ipv6: bool = False,
              platform: str = sys.platform) -> list[str] | None:
    """The argument list for one DF ping of a whole packet of `size` bytes, or None when this OS's ping
    cannot set DF for that family."""
    payload = size - overhead(ipv6)
    if platform.startswith("linux"):
        exe = shutil.which("ping") or "/usr/bin/ping"
        return [exe, "-n", "-c", "1", "-W", f"{max(timeout_s, 0.1):.1f}", "-M", "do", "-s", str(payload),
                *(["-6"] if ipv6 else []), address]
    if platform == "darwin":
        if ipv6:
            return None  # ping6 has no DF switch
        return ["/sbin/ping", "-n", "-c", "1", "-D", "-W", str(int(max(timeout_s, 0.1) * 1000)), "-s",
                str(payload), address]
    if platform == "win32":
        exe = shutil.which("ping") or r"C:\Windows\System32\PING.EXE"
        # -f is IPv4 only. Routers never fragment IPv6, but Windows does at the source once an ICMPv6 Packet Too
        # Big reached it (https://njetwork.wordpress.com/2014/01/17/ping6-and-fragments/), so there a reply
        # proves less than on IPv4; a size that times out with no Packet Too Big is still a black hole (the
        # real capture ping/win_v6_timeout_1445.txt), which is what this search is for.
        return [exe, "-n", "1", "-w", str(int(max(timeout_s, 0.1) * 1000)), *([] if ipv6 else ["-f"]), "-l",
                str(payload), *(["-6"] if ipv6 else []), address]
    return None


def parse_linux(size: int, rc: int, text: str) -> PingOutcome:
    out = PingOutcome(size, raw=text)
    if _LINUX_REPLY_RE.search(text) and rc == 0:
        out.reply = True
        return out
    low = text.lower()
    # IPv4: "Frag needed and DF set (mtu = 1492)" / "local error: message too long, mtu=1500";
    # IPv6: "From 2001:470:0:45::2: icmp_seq=1 Packet too big: mtu=1480".
    if any(p in low for p in ("message too long", "frag needed", "fragmentation needed", "packet too big")):
        out.too_big = True
        m = _MTU_RE.search(text)
        out.mtu = int(m.group(1)) if m else None
        return out
    if rc not in (0, 1):
        out.error = text.strip().splitlines()[-1] if text.strip() else f"ping exited {rc}"
    return out


def parse_macos(size: int, rc: int, text: str) -> PingOutcome:
    out = PingOutcome(size, raw=text)
    if _MAC_REPLY_RE.search(text) and rc == 0:
        out.reply = True
        return out
    low = text.lower()
    if "message too long" in low or "frag needed" in low:
        out.too_big = True
        m = _MTU_RE.search(text)
        out.mtu = int(m.group(1)) if m else None
        return out
    if rc not in (0, 2):
        out.error = text.strip().splitlines()[-1] if text.strip() else f"ping exited {rc}"
    return out


def parse_windows(size: int, rc: int, text: str) -> PingOutcome:
    """rc is 0 even for "Destination host unreachable": judge by the text only."""
    out = PingOutcome(size, raw=text)
    lines = text.splitlines()
    if any(_WIN_TTL_RE.search(line) or _WIN_V6_REPLY_RE.search(line) for line in lines):
        out.reply = True
        return out
    for line in lines:
        low = line.lower()
        if any(p in low for p in _WIN_FRAG_PHRASES) or re.search(r"\bDF\b", line):
            out.too_big = True
            return out
    if rc != 0 and not any(ch.isdigit() for ch in text):
        out.error = text.strip()[:200] or f"ping exited {rc}"
    return out


def parse(size: int, rc: int, text: str, platform: str = sys.platform) -> PingOutcome:
    if platform == "darwin":
        return parse_macos(size, rc, text)
    if platform == "win32":
        return parse_windows(size, rc, text)
    return parse_linux(size, rc, text)


def ping_once(address: str, size: int, timeout_s: float, ipv6: bool = False) -> PingOutcome:
    """Run one DF ping; never raises (a missing ping binary is an outcome with `error`)."""
    argv = ping_argv(address, size, timeout_s, ipv6)
    if argv is None:
        return PingOutcome(size, error="this system's ping cannot set don't-fragment for this address")
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=timeout_s + 3, check=False,
                              encoding="oem" if sys.platform == "win32" else "utf-8", errors="replace",
                              creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
    except (OSError, subprocess.TimeoutExpired) as exc:
        return PingOutcome(size, error=f"ping could not run: {exc}")
    return parse(size, proc.returncode, (proc.stdout or "") + (proc.stderr or ""))
