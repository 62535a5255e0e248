"""Pure parsers for routing and address output: Linux `ip route get` / `ip route` / `ip -o addr`, macOS
`route -n get`, and Windows `route print` is not needed (the UDP-connect trick plus netifaces cover it).

They never raise: unknown lines are skipped, a missing field stays None.
"""

from __future__ import annotations

import re
from typing import Any

from .base import RouteInfo


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def parse_ip_route_get(text: str) -> RouteInfo | None:
    """`ip route get ADDR` -> RouteInfo. Example: '1.2.3.4 via 192.0.2.1 dev eth0 src 192.0.2.2 uid 0 \\n cache
    mtu 1400'. 'unreachable'/'prohibit' routes return a RouteInfo without an interface."""
    words = (text or "").replace("\\", " ").split()
    if not words:
        return None
    first = words[0]
    if first in ("unreachable", "prohibit", "blackhole", "local", "broadcast", "multicast", "unicast"):
        first = words[1] if len(words) > 1 else ""
    if not first or not re.fullmatch(r"[0-9a-fA-F:.]+(/\d+)?", first):
        return None
    route = RouteInfo(destination=first)
    fields: dict[str, str | None] = {"via": None, "dev": None, "src": None, "mtu": None}
    for i, word in enumerate(words[:-1]):
        if word in fields and fields[word] is None:
            fields[word] = words[i + 1]
    route.gateway = fields["via"]
    route.interface = fields["dev"]
    route.source_address = fields["src"]
    route.mtu = _int(fields["mtu"])
    return route


def parse_ip_route(text: str) -> list[dict[str, Any]]:
    """`ip route` / `ip -6 route` lines -> [{"destination", "gateway", "interface", "metric", "mtu"}]."""
    routes = []
    for line in (text or "").splitlines():
        words = line.split()
        if not words:
            continue
        kinds = ("unreachable", "prohibit", "blackhole", "local", "broadcast", "throw")
        dest = words[1] if words[0] in kinds and len(words) > 1 else words[0]
        entry: dict[str, Any] = {"destination": dest, "gateway": None, "interface": None, "metric": None,
                                 "mtu": None}
        for i, word in enumerate(words[:-1]):
            if word == "via" and entry["gateway"] is None:
                entry["gateway"] = words[i + 1]
            elif word == "dev" and entry["interface"] is None:
                entry["interface"] = words[i + 1]
            elif word == "metric":
                entry["metric"] = _int(words[i + 1])
            elif word == "mtu" and words[i + 1] != "lock":
                entry["mtu"] = _int(words[i + 1])
            elif word == "lock" and words[i - 1] == "mtu":
                entry["mtu"] = _int(words[i + 1])
        routes.append(entry)
    return routes


_IP_ADDR_RE = re.compile(r"\b(inet6?)\s+([0-9a-fA-F:.]+)(?:/(\d+))?(?:\s+peer\s+([0-9a-fA-F:.]+)(?:/(\d+))?)?")


def parse_ip_addr_oneline(text: str) -> list[dict[str, Any]]:
    """`ip -o addr` lines, or the multi-line `ip addr show` layout -> [{"index", "interface", "family",
    "address", "prefix", "peer"}]. Point-to-point links (OpenVPN tun, PPPoE, WireGuard with a peer address)
    print "inet 10.9.8.66 peer 10.9.8.65/32": the local address has no prefix of its own, the prefix belongs
    to the peer, and `peer` keeps the far end."""
    out = []
    index, interface = None, None
    for line in (text or "").splitlines():
        head = re.match(r"^\s*(\d+):\s+([^\s:]+?)(?:@\S+?)?:?\s", line)
        if head:  # "36: tun0: <POINTOPOINT,...>" or, with -o, "4: tun0    inet ..."
            index, interface = int(head.group(1)), head.group(2)
        m = _IP_ADDR_RE.search(line)
        if not m or interface is None or (not head and not line[:1].isspace()):
            continue
        prefix = m.group(5) or m.group(3)
        out.append({"index": index, "interface": interface, "family": m.group(1), "address": m.group(2),
                    "prefix": int(prefix) if prefix else (32 if m.group(1) == "inet" else 128),
                    "peer": m.group(4)})
    return out


def join_adapter_descriptions(drivers: dict[str, str], connection_names: dict[str, str]) -> dict[str, str]:
    """Windows: {connection name: driver description} from the network class key ({GUID}: DriverDesc) and the
    connection key ({GUID}: Name). GUIDs compare case-insensitively."""
    by_guid = {guid.strip().lower(): desc.strip() for guid, desc in drivers.items() if guid and desc}
    out = {}
    for guid, name in connection_names.items():
        desc = by_guid.get(guid.strip().lower())
        if desc and name:
            out[name.strip()] = desc
    return out


def parse_macos_route_get(text: str) -> RouteInfo | None:
    """`route -n get ADDR` (macOS/BSD) -> RouteInfo. The MTU is in the table under the 'mtu' header."""
    fields: dict[str, str] = {}
    lines = (text or "").splitlines()
    mtu = None
    for i, line in enumerate(lines):
        if ":" in line and not line.strip().startswith("recvpipe"):
            key, _, value = line.partition(":")
            fields.setdefault(key.strip().lower(), value.strip())
        headers = line.split()
        if "mtu" in headers and i + 1 < len(lines):
            values = lines[i + 1].split()
            idx = headers.index("mtu")
            if idx < len(values):
                mtu = _int(values[idx])
    dest = fields.get("route to")
    if not dest:
        return None
    gateway = fields.get("gateway") or None
    return RouteInfo(destination=dest, interface=fields.get("interface") or None, gateway=gateway, mtu=mtu)
