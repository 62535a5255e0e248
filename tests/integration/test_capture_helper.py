"""The privileged helper's capture-tcp, end to end on loopback: started through CaptureSession (as root it runs
directly, as elevate would), it sees our connection to one port and nothing to another, then stops when told."""

from __future__ import annotations

import os
import socket
import sys
import threading

import pytest

from streamdoctor.capture.packet import SNAPLEN
from streamdoctor.capture.session import CaptureSession, tcp_packets

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or os.geteuid() != 0,
                                reason="capturing packets needs root on Linux")


def _server() -> tuple[socket.socket, int]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)

    def serve() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                conn.recv(1024)
                conn.sendall(b"x" * 3000)

    threading.Thread(target=serve, daemon=True).start()
    return srv, srv.getsockname()[1]


def test_capture_sees_only_the_filtered_port_and_stops_when_told() -> None:
    ours, port = _server()
    other, other_port = _server()
    try:
        session = CaptureSession("127.0.0.1", port, 30)
        ports = []
        for p in (port, other_port):
            with socket.create_connection(("127.0.0.1", p), timeout=5) as c:
                ports.append((p, c.getsockname()[1]))
                c.sendall(b"hello " * 50)
                got = b""
                while len(got) < 3000:
                    chunk = c.recv(4096)
                    if not chunk:
                        break
                    got += chunk
        packets = tcp_packets(session.stop())
    finally:
        ours.close()
        other.close()
    our_client_port = ports[0][1]
    assert packets, "no packet captured"
    assert all(port in (p.sport, p.dport) for p in packets)  # nothing of the other port
    assert any(p.is_synack and p.dport == our_client_port for p in packets)
    assert all(len(p.raw) <= SNAPLEN for p in packets)  # headers only: the 3000-byte answer was cut
    assert any(p.payload_len >= 1000 for p in packets)  # ... though its real length is known
    assert all(p.iface == "lo" for p in packets)
    # Loopback shows each packet twice (sent and received); one copy is kept.
    assert len({(p.sport, p.dport, p.seq, p.flags) for p in packets}) == len(packets)
