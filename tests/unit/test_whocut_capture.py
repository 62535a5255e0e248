"""The capture's pure parts on real recordings (tests/fixtures/whocut/, from tests/netlab/record_whocut_fixtures.py):
the BPF filter, the header parser, the pcapng writer, the reset attribution and the bundle files."""

from __future__ import annotations

import base64
import json
import struct
from pathlib import Path
from typing import Any

import pytest

from streamdoctor.capture import bpf
from streamdoctor.capture.bundle_files import NOTE_NAME, PCAPNG_NAME, capture_files
from streamdoctor.capture.packet import SNAPLEN, hops_from_ttl, parse_ipv4_tcp
from streamdoctor.capture.pcapng import LINKTYPE_RAW, pcapng_bytes
from streamdoctor.capture.session import tcp_packets
from streamdoctor.probes.path.attribute import attribute_resets

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whocut"


def load(mode: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{mode}.json").read_text())
    return data


def records(fx: dict[str, Any]) -> list[tuple[float, str, bytes, int]]:
    return [(ts, iface, bytes.fromhex(h), n) for ts, iface, h, n in fx["capture_records"]]


def tcp(src: str, dst: str, sport: int, dport: int, proto: int = 6, ihl: int = 5) -> bytes:
    ip = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 40 + (ihl - 5) * 4, 1, 0, 64, proto, 0,
                     bytes(int(x) for x in src.split(".")), bytes(int(x) for x in dst.split(".")))
    return ip + b"\0" * ((ihl - 5) * 4) + struct.pack("!HHIIHHHH", sport, dport, 0, 0, 0x5004, 0, 0, 0)


@pytest.mark.parametrize(("pkt", "kept"), [
    (tcp("10.0.0.1", "10.9.9.9", 40000, 443), True),      # to the server's port
    (tcp("10.9.9.9", "10.0.0.1", 443, 40000), True),      # from it
    (tcp("10.0.0.1", "10.9.9.9", 40000, 80), False),      # same host, other port
    (tcp("10.0.0.1", "10.8.8.8", 40000, 443), False),     # other host, same port
    (tcp("10.9.9.9", "10.0.0.1", 80, 443), False),        # from the server, but not from its port
    (tcp("10.0.0.1", "10.9.9.9", 40000, 443, proto=17), False),  # UDP
    (tcp("10.0.0.1", "10.9.9.9", 40000, 443, ihl=6), True),      # IP options: the port is found after them
    (b"\x45\x00", False),                                  # cut short
])
def test_bpf_program_keeps_only_our_flows(pkt: bytes, kept: bool) -> None:
    program = bpf.tcp_host_port_program("10.9.9.9", 443, SNAPLEN)
    assert bool(bpf.run_program(program, pkt)) is kept
    assert len(bpf.pack_program(program)) == 8 * len(program)  # struct sock_filter is 8 bytes


def test_every_jump_lands_inside_the_program() -> None:
    program = bpf.tcp_host_port_program("10.9.9.9", 443, SNAPLEN)
    for pc, (code, jt, jf, _k) in enumerate(program):
        if code == 0x15:
            assert pc + 1 + max(jt, jf) < len(program)
    assert program[-2] == (0x06, 0, 0, SNAPLEN) and program[-1] == (0x06, 0, 0, 0)


def test_recorded_capture_holds_only_our_flows() -> None:
    for mode in ("router-reset", "client-reset", "server-reset", "intercept"):
        fx = load(mode)
        pkts = tcp_packets(records(fx))
        assert pkts and len(pkts) == len(fx["capture_records"])
        assert all(fx["port"] in (p.sport, p.dport) and fx["server"] in (p.src, p.dst) for p in pkts)
        assert all(len(p.raw) <= SNAPLEN for p in pkts)


def test_hops_from_ttl_counts_like_traceroute() -> None:
    assert [hops_from_ttl(t) for t in (64, 62, 128, 120, 255, 250)] == [1, 3, 1, 9, 1, 6]


def test_parse_rejects_non_tcp() -> None:
    assert parse_ipv4_tcp(tcp("1.1.1.1", "2.2.2.2", 1, 2, proto=17)) is None
    assert parse_ipv4_tcp(b"\x60" + b"\0" * 59) is None  # IPv6
    p = parse_ipv4_tcp(tcp("1.1.1.1", "2.2.2.2", 1234, 443))
    assert p is not None and (p.src, p.dst, p.sport, p.dport, p.ttl, p.is_rst) == ("1.1.1.1", "2.2.2.2", 1234, 443,
                                                                                   64, True)


@pytest.mark.parametrize(("mode", "who", "ttl", "hops", "iface_lo"), [
    ("router-reset", "middlebox", 64, 1, False),
    ("client-reset", "laptop", 64, 0, True),
    ("server-reset", "server", 62, 3, False),
])
def test_recorded_resets_are_attributed(mode: str, who: str, ttl: int, hops: int, iface_lo: bool) -> None:
    fx = load(mode)
    out = attribute_resets(tcp_packets(records(fx)), fx["server"], fx["port"], server_hops=3)
    assert out["server_ttl"] == 62 and out["synack_ttls"] == [62] and out["intercept"] is None
    assert out["resets"]
    assert {(r["who"], r["ttl"], r["hops"], r["iface"] == "lo") for r in out["resets"]} == {(who, ttl, hops, iface_lo)}


def test_recorded_intercept_is_seen_in_the_synack_ttl() -> None:
    fx = load("intercept")
    out = attribute_resets(tcp_packets(records(fx)), fx["server"], fx["port"], server_hops=3)
    assert out["synack_ttls"] == [64] and out["intercept"]["hop"] == 1 and out["resets"] == []
    # Without the trace's server distance the capture alone cannot know the SYN-ACK is not the server's.
    assert attribute_resets(tcp_packets(records(fx)), fx["server"], fx["port"], None)["intercept"] is None


def _blocks(data: bytes) -> list[tuple[int, bytes]]:
    out, i = [], 0
    while i < len(data):
        kind, length = struct.unpack_from("<II", data, i)
        assert length % 4 == 0 and struct.unpack_from("<I", data, i + length - 4)[0] == length
        out.append((kind, data[i + 8:i + length - 4]))
        i += length
    assert i == len(data)
    return out


def test_pcapng_structure_of_a_recorded_capture() -> None:
    recs = records(load("client-reset"))
    data = pcapng_bytes(recs, comment="a note")
    blocks = _blocks(data)
    assert blocks[0][0] == 0x0A0D0D0A and struct.unpack_from("<I", blocks[0][1])[0] == 0x1A2B3C4D
    assert b"a note" in blocks[0][1]
    idbs = [b for k, b in blocks if k == 1]
    epbs = [b for k, b in blocks if k == 6]
    assert len(epbs) == len(recs)
    assert {struct.unpack_from("<H", b)[0] for b in idbs} == {LINKTYPE_RAW}
    names = {r[1] for r in recs}
    assert len(idbs) == len(names) and all(any(n.encode() in b for b in idbs) for n in names)  # 'lo' is named
    first = epbs[0]
    _iface, hi, lo, caplen, _orig = struct.unpack_from("<IIIII", first)
    assert first[20:20 + caplen] == recs[0][2]
    assert abs(((hi << 32) | lo) / 1e6 - recs[0][0]) < 1e-5


def test_bundle_files_move_the_capture_out_of_report_json() -> None:
    blob = pcapng_bytes(records(load("router-reset")))
    cap = {"ok": True, "redaction_note": "headers only", "pcapng_b64": base64.b64encode(blob).decode()}
    report = {"results": [{"probe": "path.whocut", "data": {"capture": cap}}]}
    files = capture_files(report, pseudonymize_hosts=False)
    assert files[PCAPNG_NAME] == blob and b"headers only" in files[NOTE_NAME]
    assert "pcapng_b64" not in cap
    cap2 = {"ok": True, "redaction_note": "n", "pcapng_b64": base64.b64encode(blob).decode()}
    files = capture_files({"results": [{"probe": "path.whocut", "data": {"capture": cap2}}]}, True)
    assert list(files) == [NOTE_NAME] and b"left out" in files[NOTE_NAME] and "pcapng_b64" not in cap2
    assert capture_files({"results": [{"probe": "path.whocut", "data": {"capture": {"ok": False}}}]}, False) == {}


PROC_NET_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0277 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 22431
   1: 0101E70A:B3D6 0202E70A:1F90 01 00000000:00000000 02:000A6C8B 00000000     0        0 990101
   2: 0101E70A:B3D8 0202E70A:1F90 01 00000000:00000000 02:000A6C8B 00000000  1000        0 990102
   3: 0101E70A:B3DA 0202E70A:01BB 01 00000000:00000000 02:000A6C8B 00000000     0        0 990103
"""


def test_own_ports_are_this_process_sockets_to_the_api_only() -> None:
    """Format of Linux /proc/net/tcp (addresses little-endian hex, the socket inode in field 10; the columns
    after the inode are cut here)."""
    from streamdoctor.capture.window import parse_proc_net_tcp

    lines = PROC_NET_TCP.splitlines()[1:]
    # Our sockets: inodes 990101 and 990103; 990102 is another program's connection to the same API port.
    assert parse_proc_net_tcp(lines, "10.231.2.2", 8080, {"990101", "990103"}) == {0xB3D6}
    assert parse_proc_net_tcp(lines, "10.231.2.2", 443, {"990101", "990103"}) == {0xB3DA}


def test_own_ports_of_a_real_socket() -> None:
    import socket
    import sys

    from streamdoctor.capture.window import own_tcp_ports

    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc")
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    c = socket.create_connection(srv.getsockname(), timeout=2)
    try:
        assert own_tcp_ports("127.0.0.1", srv.getsockname()[1]) == {c.getsockname()[1]}
    finally:
        c.close()
        srv.close()


def test_a_trace_one_hop_longer_does_not_turn_the_server_into_an_interceptor() -> None:
    """Seen in the netlab under load: the UDP trace measured the server one hop further than its packets' TTL
    said, and the server's own resets were blamed on a middlebox. One hop of difference is a path difference
    (per-flow load balancing), not an interception (INTERCEPT_MIN_GAP, as for the trace)."""
    fx = load("server-reset")
    out = attribute_resets(tcp_packets(records(fx)), fx["server"], fx["port"], server_hops=4)
    assert out["intercept"] is None
    assert {r["who"] for r in out["resets"]} == {"server"}
    two_short = attribute_resets(tcp_packets(records(fx)), fx["server"], fx["port"], server_hops=5)
    assert two_short["intercept"] is not None  # two hops short is still an interception
