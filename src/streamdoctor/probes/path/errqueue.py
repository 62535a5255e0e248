"""ICMP errors for an unprivileged socket, where the OS hands them over (Linux: IP_RECVERR + MSG_ERRQUEUE).

With IP_RECVERR the kernel queues each ICMP error about a socket's packets on that socket, with the address
of the router that sent it (the "offender"), so a TTL-limited probe learns the hop's address without raw
sockets or root (tracepath works this way). macOS and Windows have no such option for TCP or UDP sockets:
there an unprivileged trace sees at which TTL an answer or a reset first comes, but not who the hops are.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import sys
from dataclasses import dataclass

SUPPORTED = sys.platform.startswith("linux")
IP_RECVERR = 11  # linux/in.h
SOL_IP = 0
MSG_ERRQUEUE = 0x2000
SO_EE_ORIGIN_ICMP = 2
ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED = 3, 11
_EE = struct.Struct("=IBBBBII")  # struct sock_extended_err


@dataclass(frozen=True)
class IcmpReport:
    """One ICMP error about our packet: its type and code, and who sent it."""

    icmp_type: int
    icmp_code: int
    offender: str

    @property
    def time_exceeded(self) -> bool:
        return self.icmp_type == ICMP_TIME_EXCEEDED

    @property
    def port_unreachable(self) -> bool:
        return self.icmp_type == ICMP_DEST_UNREACH and self.icmp_code == 3


def enable(sock: socket.socket) -> bool:
    """Ask for ICMP errors on `sock`; False where the OS does not offer it."""
    if not SUPPORTED:
        return False
    try:
        sock.setsockopt(SOL_IP, IP_RECVERR, 1)
    except OSError:
        return False
    return True


def parse_cmsg(level: int, kind: int, data: bytes) -> IcmpReport | None:
    """The ICMP report in one control message from recvmsg(MSG_ERRQUEUE), or None if it is not one."""
    if level != SOL_IP or kind != IP_RECVERR or len(data) < _EE.size:
        return None
    _errno, origin, icmp_type, icmp_code, _pad, _info, _data = _EE.unpack_from(data)
    if origin != SO_EE_ORIGIN_ICMP:
        return None
    offender = ""
    rest = data[_EE.size:]
    if len(rest) >= 8 and struct.unpack_from("=H", rest)[0] == socket.AF_INET:
        offender = str(ipaddress.IPv4Address(rest[4:8]))
    return IcmpReport(icmp_type, icmp_code, offender)


def read(sock: socket.socket) -> IcmpReport | None:
    """The first queued ICMP report on `sock` (non-blocking), or None."""
    if not SUPPORTED:
        return None
    previous = sock.gettimeout()
    sock.settimeout(0.0)  # with a timeout set, Python would first wait for data to read, not for the error
    try:
        _data, ancdata, _flags, _addr = sock.recvmsg(512, 512, MSG_ERRQUEUE | socket.MSG_DONTWAIT)
    except OSError:  # BlockingIOError included: nothing queued
        return None
    finally:
        sock.settimeout(previous)
    for level, kind, data in ancdata:
        report = parse_cmsg(level, kind, data)
        if report is not None:
            return report
    return None
