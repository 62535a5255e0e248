"""The capture loop the privileged helper runs on Linux: an AF_PACKET socket on every interface with the BPF
filter of bpf.py, read until the caller closes our stdin, the time limit passes or the packet cap is reached.

It returns plain records (time, interface, packet type, hex of the first SNAPLEN bytes, original length); all
parsing and judging happens unprivileged. Loopback is kept because a reset made by this laptop itself (a local
security agent, an OUTPUT firewall rule) travels over `lo` only and never reaches the wire.
"""

from __future__ import annotations

import ctypes
import select
import socket
import struct
import sys
import time
from typing import Any, TextIO

from .bpf import pack_program, run_program, tcp_host_port_program
from .packet import SNAPLEN

ETH_P_IP = 0x0800
SO_ATTACH_FILTER = 26
PACKET_OUTGOING = 4
MAX_PACKETS = 5000  # our test connections make a few hundred packets; the cap bounds memory and the answer
POLL_S = 0.2


def attach_filter(sock: socket.socket, program: list[tuple[int, int, int, int]]) -> None:
    code = pack_program(program)
    buf = ctypes.create_string_buffer(code, len(code))
    fprog = struct.pack("@HP", len(program), ctypes.addressof(buf))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


def capture(address: str, port: int, seconds: float, ready: TextIO = sys.stdout,
            stop: TextIO | None = sys.stdin) -> dict[str, Any]:
    """Capture TCP packets to or from address:port. Prints one JSON 'ready' line once the socket is filtering."""
    program = tcp_host_port_program(address, port, SNAPLEN)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    records: list[list[Any]] = []
    try:
        attach_filter(sock, program)
        sock.setblocking(False)
        ready.write('{"ready": true}\n')
        ready.flush()
        deadline = time.monotonic() + seconds
        watch: list[Any] = [sock] + ([stop] if stop is not None else [])
        stopped_by = "time limit"
        while time.monotonic() < deadline and len(records) < MAX_PACKETS:
            readable, _, _ = select.select(watch, [], [], POLL_S)
            if sock in readable:
                _drain(sock, program, records)
            if stop is not None and stop in readable and not stop.readline():
                stopped_by = "caller"
                break
        else:
            stopped_by = "packet cap" if len(records) >= MAX_PACKETS else stopped_by
        _drain(sock, program, records)  # what arrived before the stop was noticed still counts
    finally:
        sock.close()
    return {"ok": True, "packets": records, "stopped_by": stopped_by, "snaplen": SNAPLEN}


def _drain(sock: socket.socket, program: list[tuple[int, int, int, int]], records: list[list[Any]]) -> None:
    """Read every packet queued on the (non-blocking) socket, up to the cap."""
    while len(records) < MAX_PACKETS:
        try:
            data, addr = sock.recvfrom(SNAPLEN)
        except BlockingIOError:
            return
        iface, pkttype = str(addr[0]), int(addr[2])  # Python's AF_PACKET address: (ifname, proto, type, ...)
        if iface == "lo" and pkttype == PACKET_OUTGOING:
            continue  # loopback shows each packet twice; keep the copy that is received
        if not run_program(program, data):
            continue  # queued before the filter was attached
        original = struct.unpack_from("!H", data, 2)[0] if len(data) >= 4 else len(data)  # IP total length
        records.append([round(time.time(), 6), iface, pkttype, data.hex(), original])
