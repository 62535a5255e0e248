"""Who sent it: pure judgement of trace steps and captured headers, kept apart so it is tested on fixtures.

Two independent ways to place the box that resets or answers in place of the server:
- the TTL trace (no privileges): at which TTL the reset or the answer first comes, against how many hops away
  the destination is;
- the capture (privileges, consent): the reset's own IP TTL, IP ID and TCP window against the server's SYN-ACK
  and data packets on our flows. A reset that travelled fewer hops than the server's packets was made by a box
  that many hops away; one seen only on loopback was made by this computer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from ...capture.packet import TcpPacket, hops_from_ttl
from ...i18n import N_
from .hoptrace import Step

LAPTOP, MIDDLEBOX, SERVER, UNSURE = "laptop", "middlebox", "server", "server-or-box-before-it"
# UDP and TCP probes of different 5-tuples may take paths one hop apart (per-flow load balancing), so a SYN-ACK
# counts as an interception only when it comes at least this many hops short of the UDP destination.
INTERCEPT_MIN_GAP = 2


def _first(steps: Sequence[Step], outcomes: Iterable[str]) -> Step | None:
    wanted = set(outcomes)
    return next((s for s in steps if s.outcome in wanted), None)


def hop_addresses(*traces: Sequence[Step]) -> dict[int, str]:
    """TTL -> the address that said "time exceeded" there, from every trace (the first one seen wins)."""
    out: dict[int, str] = {}
    for steps in traces:
        for s in steps:
            if s.outcome == "time-exceeded" and s.hop and s.ttl not in out:
                out[s.ttl] = s.hop
    return out


def locate(udp: Sequence[Step], syn: Sequence[Step], data: Sequence[Step]) -> dict[str, Any]:
    """Place the interceptor and the resetter along the path, from the three traces."""
    hops = hop_addresses(udp, syn, data)
    dest = _first(udp, ["port-unreachable"])
    syn_end = _first(syn, ["connected", "refused"])
    data_end = _first(data, ["answered", "reset", "closed"])
    server_hops = dest.ttl if dest else (syn_end.ttl if syn_end else None)
    out: dict[str, Any] = {
        "hops": [{"ttl": t, "address": a} for t, a in sorted(hops.items())],
        "server_hops": server_hops, "server_address": dest.hop if dest else "",
        "server_hops_from": "udp" if dest else ("syn" if syn_end else ""),
        "tcp_answers_at": syn_end.ttl if syn_end else None,
        "data_ends_at": data_end.ttl if data_end else None,
        "data_ending": data_end.outcome if data_end else "",
        "intercept": None, "event": None,
    }
    if dest and syn_end and syn_end.outcome == "connected" and syn_end.ttl <= dest.ttl - INTERCEPT_MIN_GAP:
        # A SYN-ACK came back from a hop that cannot be the server: a box there terminates TCP.
        out["intercept"] = {"who": MIDDLEBOX, "hop": syn_end.ttl, "address": hops.get(syn_end.ttl, ""),
                            "what": N_("answers TCP connections in place of the server")}
    if data_end is None or server_hops is None:
        return out
    t = data_end.ttl
    limit = syn_end.ttl if syn_end else server_hops
    if t < limit:
        # Reached before the TCP endpoint: a box acting on the packets it forwards (after its own TTL check),
        # hence one hop closer than the TTL it answered at; hop 0 is this computer.
        hop = t - 1
        out["event"] = {"who": LAPTOP if hop == 0 else MIDDLEBOX, "hop": hop, "address": hops.get(hop, ""),
                        "next_address": hops.get(t, ""), "ending": data_end.outcome, "ttl": t}
    elif out["intercept"] is not None:
        icp = out["intercept"]
        out["event"] = {"who": MIDDLEBOX, "hop": icp["hop"], "address": icp["address"], "next_address": "",
                        "ending": data_end.outcome, "ttl": t}
    else:
        out["event"] = {"who": UNSURE, "hop": server_hops, "address": out["server_address"],
                        "next_address": "", "ending": data_end.outcome, "ttl": t}
    return out


def _is_loopback(iface: str) -> bool:
    return iface == "lo" or iface.startswith("lo0") or iface.lower().startswith("loopback")


def attribute_resets(packets: Sequence[TcpPacket], server: str, port: int,
                     server_hops: int | None = None, ports: set[int] | None = None) -> dict[str, Any]:
    """Each reset that came toward us from server:port (to one of our `ports`, when given), compared with the
    server's SYN-ACK and data packets."""
    from_server = [p for p in packets if p.src == server and p.sport == port]
    refs = [p for p in from_server if not p.is_rst and not _is_loopback(p.iface)]
    synacks = [p for p in refs if p.is_synack]
    ref_ttl = Counter(p.ttl for p in refs).most_common(1)[0][0] if refs else None
    ref_hops = hops_from_ttl(ref_ttl) if ref_ttl is not None else None
    out: dict[str, Any] = {
        "packets": len(packets), "flows": len({tuple(sorted([(p.src, p.sport), (p.dst, p.dport)])) for p in packets}),
        "server_ttl": ref_ttl, "server_packet_hops": ref_hops, "server_hops": server_hops,
        "synack_ttls": sorted({p.ttl for p in synacks}), "resets": [], "intercept": None,
    }
    # The same margin as the trace's: the UDP trace that measured server_hops may have taken a path a hop longer.
    if ref_hops is not None and server_hops is not None and ref_hops <= server_hops - INTERCEPT_MIN_GAP:
        out["intercept"] = {"who": MIDDLEBOX, "hop": ref_hops, "ttl": ref_ttl,
                            "what": N_("the SYN-ACK and data came from fewer hops than the server is away")}
    for rst in (p for p in from_server if p.is_rst and (ports is None or p.dport in ports)):
        same_flow = [p for p in refs if p.dport == rst.dport]
        nearest = min(same_flow or refs, key=lambda p: abs(p.ts - rst.ts), default=None)
        hops = hops_from_ttl(rst.ttl)
        entry: dict[str, Any] = {
            "ts": rst.ts, "iface": rst.iface, "client_port": rst.dport, "ttl": rst.ttl, "ip_id": rst.ip_id,
            "window": rst.window, "hops": hops,
            "server_ttl": nearest.ttl if nearest else None, "server_ip_id": nearest.ip_id if nearest else None,
            "server_window": nearest.window if nearest else None,
        }
        if _is_loopback(rst.iface) and not _is_loopback_address(server):
            entry.update(who=LAPTOP, hops=0, why="the reset travelled only over loopback: this computer made it")
        elif ref_hops is not None and hops < ref_hops:
            entry.update(who=MIDDLEBOX, why=f"TTL {rst.ttl} = {hops} hop(s) away; the server's packets came "
                         f"{ref_hops} hops (TTL {ref_ttl})")
        elif ref_hops is not None and hops == ref_hops:
            who = SERVER if out["intercept"] is None else MIDDLEBOX
            entry.update(who=who, why=f"same TTL as the server's packets ({ref_ttl})")
        elif server_hops is not None and hops < server_hops:
            entry.update(who=MIDDLEBOX, why=f"TTL {rst.ttl} = {hops} hop(s) away; the server is {server_hops}")
        else:
            entry.update(who=SERVER if ref_hops is not None else UNSURE,
                         why="no packet of the server to compare with" if ref_hops is None else
                         f"TTL {rst.ttl} is not closer than the server's ({ref_ttl})")
        out["resets"].append(entry)
    return out


def _is_loopback_address(address: str) -> bool:
    return address.startswith("127.")


def missing_resets(trace_resets: int, captured: dict[str, Any]) -> bool:
    """Our sockets saw resets but none crossed any interface: made inside this computer (a filter driver)."""
    return trace_resets > 0 and not captured.get("resets")
