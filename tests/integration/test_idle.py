"""The idle test against the lab's fault proxy (a real TCP middlebox on loopback): it finds the cut, tells RST
from FIN from TLS close from a silent drop, stops as soon as the answer is known, and a cancel closes every
socket at once."""

from __future__ import annotations

import json
import select
import socket
import ssl
import subprocess
import sys
import threading
import time

import psutil
import pytest

from streamdoctor.cancel import CancelToken
from streamdoctor.lab import LabRuntime, get_profile
from streamdoctor.lab.faultproxy import Fault, FaultSpec
from streamdoctor.lab.profiles import LabProfile
from streamdoctor.lab.server import ServerBehaviour
from streamdoctor.lab.tls import LabTLS
from streamdoctor.model import Status
from streamdoctor.probes.base import ProbeContext
from streamdoctor.probes.idle import IdleProbe, ladder, spread_order

LAB_LADDER = {"idle_min_s": 1.0, "idle_max_s": 8.0}


def tolerance(cut: float) -> float:
    return max(2.0, 0.1 * cut)


def run_idle(url: str, ca_file: str = "", cancel: CancelToken | None = None, progress=None, **options):
    ctx = ProbeContext(base_url=url, ca_file=ca_file, options={**LAB_LADDER, **options})
    return IdleProbe().run(ctx, progress or (lambda p: None), cancel or CancelToken())


def cut_profile(fault: Fault, idle_s: float) -> LabProfile:
    return LabProfile(f"{fault}-{idle_s}", "", ServerBehaviour(), FaultSpec(fault, idle_s=idle_s))


@pytest.mark.parametrize(("fault", "ending"), [
    (Fault.IDLE_RESET, "reset"), (Fault.IDLE_FIN, "fin"), (Fault.IDLE_DROP, "drop"),
])
@pytest.mark.parametrize("cut", [2.0, 4.5])
def test_finds_the_cut_and_how_it_ends(fault, ending, cut):
    with LabRuntime(cut_profile(fault, cut)) as lab:
        result = run_idle(lab.url, idle_max_s=12.0)
    d = result.data
    assert result.status is Status.FAIL
    assert d["ending"] == ending
    assert abs(d["cut_s"] - cut) <= tolerance(cut), d["bracket"]
    lo, hi = d["bracket"]
    assert lo < cut + 0.3 and hi > cut - 0.3  # the bracket holds the real cut (plus timer slack)
    # Stopped early: the verdict came long before the 12 s rung would have been used.
    assert d["time_to_verdict_s"] < 12.0
    if ending == "drop":  # a passive box is found rung by rung: the longer rungs were closed unused
        assert any(c["detail"].startswith("not needed") for c in d["connections"])


def test_over_tls_a_reset_is_still_a_reset():
    """The reason for MemoryBIO: Python's ssl sockets would report this RST as an EOF."""
    with LabTLS() as tls, LabRuntime(get_profile("idle-reset"), ssl_context=tls.server_context(),
                                     url_host="localhost") as lab:
        reset = run_idle(lab.url, tls.ca_file)
    assert lab.url.startswith("https://localhost:")
    assert reset.data["ending"] == "reset"
    assert reset.data["baseline"]["tls_version"].startswith("TLS")
    assert abs(reset.data["cut_s"] - 3.0) <= 0.5


def test_a_tls_close_notify_is_told_apart_from_a_fin():
    """A TLS endpoint that hangs up properly (close_notify, then FIN) after 2 s of silence."""
    with LabTLS() as tls:
        server_ctx = tls.server_context()
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        stop = threading.Event()

        def serve_one(conn: socket.socket) -> None:
            try:
                with server_ctx.wrap_socket(conn, server_side=True) as t:
                    head = b""
                    while b"\r\n\r\n" not in head:
                        if not t.pending() and not select.select([t], [], [], 2.0)[0]:
                            t.unwrap().close()  # 2 s of silence: close_notify, then FIN
                            return
                        chunk = t.recv(4096)
                        if not chunk:
                            return
                        head += chunk
                    t.sendall(b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            except (OSError, ssl.SSLError):
                pass

        def accept_loop() -> None:
            listener.settimeout(0.2)
            while not stop.is_set():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    return
                threading.Thread(target=serve_one, args=(conn,), daemon=True).start()

        threading.Thread(target=accept_loop, daemon=True).start()
        try:
            result = run_idle(f"https://localhost:{port}", tls.ca_file)
        finally:
            stop.set()
            listener.close()
    assert result.data["ending"] == "tls_close"
    assert abs(result.data["cut_s"] - 2.0) <= 0.5


def test_clean_path_has_no_cut_and_the_silent_request_is_answered():
    with LabRuntime(get_profile("clean")) as lab:
        result = run_idle(lab.url, idle_max_s=3.0)
    d = result.data
    assert result.status is Status.OK
    assert d["cut_s"] is None and d["ending"] is None
    assert d["longest_alive_s"] >= 2.9
    assert all(c["state"] == "alive" for c in d["connections"])
    # The in-flight probe: the lab held the answer back for the whole ladder and then answered.
    assert d["inflight"]["state"] == "alive" and d["inflight"]["idle_s"] >= 2.9
    assert d["exchanges"] and d["exchanges"][0]["status"] == 401  # no API key is sent: 401 proves it alive


def test_a_connection_cap_is_refined_by_new_rounds():
    """Only 5 connections at a time: the first round is coarse, later rounds bisect the bracket."""
    with LabRuntime(cut_profile(Fault.IDLE_DROP, 3.0)) as lab:
        result = run_idle(lab.url, idle_max_connections=5)
    d = result.data
    assert d["rounds"] >= 2
    assert d["ending"] == "drop"
    assert abs(d["cut_s"] - 3.0) <= tolerance(3.0)
    lo, hi = d["bracket"]
    assert hi / lo <= 1.5  # much narrower than one round of 5 rungs over 1-8 s (x1.68 per step)


def test_progress_reports_each_connection_and_the_estimate():
    seen = []
    with LabRuntime(get_profile("idle-reset")) as lab:
        run_idle(lab.url, progress=seen.append)
    data = [p.data for p in seen if p.data]
    assert all(d["kind"] == "idle" for d in data)
    states = {c["state"] for d in data for c in d["connections"]}
    assert {"waiting", "alive", "reset"} <= states
    assert any(c.get("countdown_s") for d in data for c in d["connections"])
    assert data[-1]["cut_estimate_s"] == pytest.approx(3.0, abs=0.5)


def lab_sockets(port: int) -> int:
    return sum(1 for c in psutil.Process().net_connections("tcp")
               if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED)


def test_cancel_closes_every_socket_within_a_second():
    with LabRuntime(get_profile("clean")) as lab:
        cancel = CancelToken()
        box: dict = {}
        worker = threading.Thread(target=lambda: box.update(r=run_idle(lab.url, cancel=cancel, idle_max_s=600)))
        worker.start()
        deadline = time.monotonic() + 20
        while lab_sockets(lab.port) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert lab_sockets(lab.port) >= 20  # the ladder is open and held
        t0 = time.monotonic()
        cancel.cancel()
        worker.join(5)
        took = time.monotonic() - t0
        assert not worker.is_alive()
        assert lab_sockets(lab.port) == 0
    assert took < 2.0  # generous bound on "within 1 s"; the probe would otherwise hold for 600 s
    assert box["r"].status is Status.CANCELLED


def test_ladder_shape():
    holds = ladder(5, 420, 1.1)
    assert holds[0] == 5 and holds[-1] == 420
    assert 45 <= len(holds) <= 50
    assert max(b / a for a, b in zip(holds, holds[1:], strict=False)) <= 1.1
    order = spread_order(len(holds))
    assert sorted(order) == list(range(len(holds)))
    first5 = sorted(holds[i] for i in order[:5])
    assert first5[0] == 5 and first5[-1] > 100  # any prefix spans the range


def test_cli_idle_json_and_exit_codes():
    proc = subprocess.run([sys.executable, "-m", "streamdoctor", "idle", "--lab", "idle-fin", "--json"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    idle = next(r for r in report["results"] if r["probe"] == "idle")["data"]
    assert idle["ending"] == "fin" and abs(idle["cut_s"] - 3.0) <= 0.5
    finding = report["verdict"]["findings"][0]
    assert finding["cause"] == "idle-close"
    assert "after 3 s" in finding["plain"] and "keepalive will not help" in finding["plain"]

    ok = subprocess.run([sys.executable, "-m", "streamdoctor", "idle", "--lab", "clean", "--max", "2"],
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "No cut" in ok.stdout

    bad = subprocess.run([sys.executable, "-m", "streamdoctor", "idle", "--lab", "clean", "--max", "0"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--max" in bad.stderr and "Traceback" not in bad.stderr


def test_check_quick_leaves_out_the_stress_and_idle_tests():
    from streamdoctor.probes import select

    quick = {p.name for p in select(True)}
    full = {p.name for p in select(False)}
    assert {"stream", "idle"} <= full
    assert not {"stream", "idle"} & quick


def test_one_stray_failure_is_not_taken_for_the_cut():
    from streamdoctor.probes.idle import Bracket, Rung, _bracket, _final, _Run

    states = ["alive", "dropped", "alive", "dropped", "dropped", "waiting"]
    rungs = [Rung(i, float(i + 1), state=s, idle_s=float(i + 1) if s != "waiting" else None)
             for i, s in enumerate(states)]
    run = _Run(ProbeContext(), lambda p: None, CancelToken(), lambda: 0.0, None, 2.0, rungs=rungs)  # type: ignore[arg-type]
    b = _bracket(run, Bracket())
    assert (b.lo, b.hi, b.ending) == (3.0, 4.0, "drop")  # the death at 2 s was followed by a survivor at 3 s
    assert _final(rungs, b)
    rungs[4].state, rungs[4].idle_s = "alive", 5.0  # the next rung survives too: no cut yet
    b = _bracket(run, Bracket())
    assert b.hi is None and not _final(rungs, b)
