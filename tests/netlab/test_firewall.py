"""Scenario 2: a stateful firewall (real netfilter conntrack) that forgets flows idle for N seconds."""

from __future__ import annotations

import socket
import time
import zipfile

import pytest

import netlab

pytestmark = pytest.mark.netlab

CUT_S = 3
RAW_PORT = 5000


def _ping_after(conn: socket.socket, t_send: float, answer_timeout: float) -> str:
    """Stay silent until `t_send`, then PING: "alive", "reset" or "timeout" (a silent drop)."""
    time.sleep(max(0.0, t_send - time.monotonic()))  # the hold IS the test: an idle connection
    conn.settimeout(answer_timeout)
    try:
        conn.sendall(b"PING\n")
        return "alive" if conn.recv(16) == b"PONG\n" else "closed"
    except ConnectionResetError:
        return "reset"
    except TimeoutError:
        return "timeout"


def _ladder(sc: netlab.Scenario, holds: list[float], answer_timeout: float) -> dict[float, str]:
    conns = [sc.connect(sc.server_ip, RAW_PORT) for _ in holds]
    try:
        for c in conns:
            c.sendall(b"PING\n")
            assert c.recv(16) == b"PONG\n"
        t0 = time.monotonic()
        return {h: _ping_after(c, t0 + h, answer_timeout) for h, c in sorted(zip(holds, conns, strict=True))}
    finally:
        for c in conns:
            c.close()


def test_reset_mode_answers_a_flow_idle_past_n_with_rst(netlab_firewall) -> None:
    sc = netlab_firewall(CUT_S, "reset")
    sc.start_raw_server(RAW_PORT)
    holds = [2.0, 2.6, 3.4, 4.0]
    states = _ladder(sc, holds, answer_timeout=3.0)
    netlab.record(f"firewall reset N={CUT_S} s: state after idle hold", states)
    assert [states[h] for h in holds] == ["alive", "alive", "reset", "reset"]


def test_drop_mode_answers_a_flow_idle_past_n_with_nothing(netlab_firewall) -> None:
    sc = netlab_firewall(CUT_S, "drop")
    sc.start_raw_server(RAW_PORT)
    states = _ladder(sc, [2.0, 4.0], answer_timeout=2.0)
    netlab.record(f"firewall drop N={CUT_S} s: state after idle hold", states)
    assert states == {2.0: "alive", 4.0: "timeout"}


def test_a_silent_stream_hangs_the_client_the_rst_goes_to_the_server(netlab_firewall) -> None:
    """REJECT answers the sender of the late packet: after the model's silent think the SERVER writes and gets
    the RST; the client hears nothing until it sends something itself. A real conntrack box does not look
    like the lab's fault proxy here (that one resets the client at the cut)."""
    sc = netlab_firewall(CUT_S, "reset", think_s=5)
    router = sc.info["router_ns"]
    conn = sc.connect(sc.server_ip, netlab.LAB_PORT)
    try:
        conn.sendall(netlab.messages_request(f"{sc.server_ip}:{netlab.LAB_PORT}", max_tokens=20))
        got = netlab.read_arrivals(conn, timeout=7.0)  # think 5 s + margin: the answer would be complete by then
        assert got.status() == 200 and b"message_start" in got.data
        assert got.ending == "timeout" and b"message_stop" not in got.data
        conn.settimeout(3.0)
        with pytest.raises(ConnectionResetError):
            conn.sendall(b"x")
            conn.recv(16)
    finally:
        conn.close()
    rules = netlab.ns_exec(router, "iptables", "-w", "-L", "FORWARD", "-v", "-n", "-x").stdout
    rejected = [int(line.split()[0]) for line in rules.splitlines() if "REJECT" in line]
    assert rejected and rejected[0] >= 2  # the server's late write, then the client's byte
    netlab.record("firewall reset, silent 5 s stream", f"client got {got.total} B then silence; "
                  f"REJECT counter {rejected[0]}; client's next send got RST")


def test_product_measures_the_cut(netlab_firewall, tmp_path) -> None:
    """Reset mode only: the idle test's own netlab tests cover the drop mode and other cuts. The same run saves
    the bundle for IT, which must name the cause, the number and the change on its own."""
    mode, cause = "reset", "idle-reset"
    sc = netlab_firewall(CUT_S, mode, think_s=6)
    proc, report = sc.check([*netlab.check_args(idle_max_s=5, stall_s=5), "--bundle", str(tmp_path)])
    found = netlab.findings(report)
    assert proc.returncode == 1, proc.stderr[-2000:]
    # The idle test measures the cut (the conntrack timeout) and how the box ends the flow.
    assert cause in found, list(found)
    assert f"after {CUT_S} s" in found[cause]["plain"]
    idle = netlab.probe_result(report, "idle")["data"]
    assert idle["cut_s"] == pytest.approx(CUT_S, abs=0.5)
    # The stream itself just stalls: the firewall's RST went to the server, not to the client.
    assert netlab.probe_result(report, "stream")["data"]["outcome"] == "stalled"
    netlab.record(f"product, firewall {mode} N={CUT_S} s", f"idle cut {idle['cut_s']} s bracket {idle['bracket']} "
                  f"ending {idle['ending']}; stream stalled")
    (bundle,) = tmp_path.glob("streamdoctor-*.zip")
    with zipfile.ZipFile(bundle) as zf:
        summary = zf.read("summary.txt").decode()
        html = zf.read("report.html").decode()
    for text in (summary, html):
        assert f"after {CUT_S} s" in text  # the number
        assert "reset" in text  # the cause: how the box ends silent connections
        assert "idle timeout" in text and "600 s" in text  # the change to make on the network
