"""Scenario 3: a path-MTU black hole (client -1500- r1 -1400- r2 -1500- server, ICMP frag-needed dropped)."""

from __future__ import annotations

import socket

import pytest

import netlab

pytestmark = pytest.mark.netlab

RAW_PORT = 5000
BIG = 256 * 1024
IP_MTU = 14  # Linux socket options, not exported by every Python build
IP_MTU_DISCOVER = 10
IP_PMTUDISC_DO = 2


def _ping_df(sc: netlab.Scenario, payload: int) -> tuple[int, str]:
    """One DF-marked ping of `payload` + 28 header bytes from the client: (return code, output)."""
    proc = sc.run_client(["ping", "-M", "do", "-s", str(payload), "-c", "1", "-W", "1", sc.server_ip], timeout=10)
    return proc.returncode, proc.stdout + proc.stderr


def _transfer(sc: netlab.Scenario, command: str, timeout: float) -> tuple[str, int | None]:
    """UP or DOWN 256 KiB on a fresh connection: ("ok"|"stalled", IP_MTU of the socket afterwards)."""
    conn = sc.connect(sc.server_ip, RAW_PORT)
    try:
        conn.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)
        conn.settimeout(timeout)
        try:
            if command == "UP":
                # sendall can return with everything still in the send buffer: wait for the server's receipt.
                conn.sendall(b"UP %d\n" % BIG + b"u" * BIG)
                ok = conn.recv(64) == b"GOT %d\n" % BIG
            else:
                conn.sendall(b"DOWN %d\n" % BIG)
                got = 0
                while got < BIG:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    got += len(chunk)
                ok = got == BIG
        except TimeoutError:
            ok = False
        try:
            mtu: int | None = conn.getsockopt(socket.IPPROTO_IP, IP_MTU)
        except OSError:
            mtu = None  # ENOTCONN: the route was dropped after the retransmission timeouts
        return ("ok" if ok else "stalled"), mtu
    finally:
        conn.close()


def _udp_path_mtu(sc: netlab.Scenario) -> int:
    with sc.in_client():
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with s:
        s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)
        s.connect((sc.server_ip, 9))
        return int(s.getsockopt(socket.IPPROTO_IP, IP_MTU))


def test_black_hole_loses_big_packets_and_healthy_path_learns_1400(netlab_mtu) -> None:
    sc = netlab_mtu(blackhole=True)
    sc.start_raw_server(RAW_PORT)

    # Black hole: 1400-byte packets pass, 1401 vanish without an error; small requests work, 256 KiB stall.
    assert _ping_df(sc, 1372)[0] == 0
    rc, out = _ping_df(sc, 1373)
    assert rc == 1 and "mtu=" not in out and "Frag needed" not in out
    small = sc.connect(sc.server_ip, RAW_PORT)
    small.sendall(b"PING\n")
    assert small.recv(16) == b"PONG\n"
    small.close()
    up = _transfer(sc, "UP", timeout=3)
    sc.flush_route_caches()
    down = _transfer(sc, "DOWN", timeout=3)
    assert up[0] == "stalled" and down[0] == "stalled"
    drops = sc.icmp_drops()
    assert drops > 0  # the routers did try to say "fragmentation needed"
    assert _udp_path_mtu(sc) == 1500  # nobody told the client

    # Healthy: the same path with ICMP allowed: PMTUD works and the sockets learn 1400.
    sc.set_blackhole(False)
    rc, out = _ping_df(sc, 1373)
    assert rc == 1 and ("mtu = 1400" in out or "mtu=1400" in out), out
    up_ok = _transfer(sc, "UP", timeout=10)
    assert up_ok == ("ok", 1400)
    assert _udp_path_mtu(sc) == 1400
    sc.flush_route_caches()
    assert _transfer(sc, "DOWN", timeout=10)[0] == "ok"
    netlab.record("mtu black hole", f"DF ping 1400 B ok, 1401 B lost silently; 256 KiB up {up[0]} (IP_MTU {up[1]}), "
                  f"down {down[0]}; routers dropped {drops} frag-needed")
    netlab.record("mtu healthy", f"1401 B ping answered 'mtu=1400'; 256 KiB up ok, TCP IP_MTU {up_ok[1]}, "
                  "UDP IP_MTU 1400, down ok")


def test_product_finds_the_black_hole(netlab_mtu) -> None:
    sc = netlab_mtu(blackhole=True)
    proc, report = sc.check(netlab.check_args(idle_max_s=2, stall_s=5))
    found = netlab.findings(report)
    assert proc.returncode == 1
    assert "mtu-black-hole" in found, list(found)
    mtu = netlab.probe_result(report, "mtu")["data"]
    assert mtu.get("black_hole") is True
    # The streamed answer itself comes in small segments: the stream test alone passes in a black hole.
    assert netlab.probe_result(report, "stream")["data"]["outcome"] == "completed"
    netlab.record("product, mtu black hole", {k: mtu.get(k) for k in ("path_mtu", "interface_mtu", "method",
                                                                       "black_hole")})
