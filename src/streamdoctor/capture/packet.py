"""IPv4/TCP header fields of captured packets: what tells a forged reset from the server's own packets.

A reset injected by a firewall or a local agent is built by a different IP stack than the server's, so its IP
TTL (hence the hop count it travelled), IP ID and TCP window usually differ from the server's SYN-ACK and data
(Weaver, Sommer and Paxson, "Detecting Forged TCP Reset Packets", NDSS 2009). Only headers are kept.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

# Initial TTLs in use: Linux/macOS/most routers 64, Windows 128, network gear 255 (and some 32-based stacks).
INITIAL_TTLS = (32, 64, 128, 255)
SNAPLEN = 96  # IPv4 (<= 60) + TCP (<= 60) headers of a normal packet fit; the payload is TLS and is cut off

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


@dataclass(frozen=True)
class TcpPacket:
    """One captured IPv4/TCP packet (headers only)."""

    ts: float
    iface: str
    src: str
    dst: str
    sport: int
    dport: int
    ttl: int
    ip_id: int
    flags: int
    window: int
    seq: int
    payload_len: int
    raw: bytes  # the captured bytes (at most SNAPLEN), for the pcapng

    @property
    def is_rst(self) -> bool:
        return bool(self.flags & RST)

    @property
    def is_synack(self) -> bool:
        return self.flags & (SYN | ACK) == SYN | ACK

    def flow(self) -> tuple[str, int, str, int]:
        return self.src, self.sport, self.dst, self.dport


def parse_ipv4_tcp(raw: bytes, ts: float = 0.0, iface: str = "") -> TcpPacket | None:
    """The TCP packet in `raw` (starting at the IPv4 header), or None if it is not IPv4/TCP or is cut short."""
    if len(raw) < 20 or raw[0] >> 4 != 4:
        return None
    ihl = (raw[0] & 0x0F) * 4
    if ihl < 20 or raw[9] != 6 or len(raw) < ihl + 20:
        return None
    total_len, ip_id = struct.unpack_from("!HH", raw, 2)
    ttl = raw[8]
    src = str(ipaddress.IPv4Address(raw[12:16]))
    dst = str(ipaddress.IPv4Address(raw[16:20]))
    sport, dport, seq, _ack, off_flags, window = struct.unpack_from("!HHIIHH", raw, ihl)
    data_off = (off_flags >> 12) * 4
    return TcpPacket(ts, iface, src, dst, sport, dport, ttl, ip_id, off_flags & 0x3F, window, seq,
                     max(0, total_len - ihl - data_off), bytes(raw))


def hops_from_ttl(ttl: int) -> int:
    """How many hops a packet came, counted like traceroute (the directly attached router is hop 1): the
    sender's initial TTL is taken as the smallest usual one not below `ttl`."""
    initial = next((t for t in INITIAL_TTLS if t >= ttl), 255)
    return initial - ttl + 1
