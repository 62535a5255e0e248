#!/usr/bin/env python3
"""Benchmark: what the background watch costs on a laptop that runs it for days (prints numbers; asserts nothing).

    python bench/bench_watch.py [--scale 30] [--direct-s 60] [--runs 5]

1. CPU, memory and traffic of the real `streamdoctor watch` process with its default settings (holds 100 s
   and 280 s, heartbeat 30 s, state poll 5 s), no stream. One watched hour is replayed in 3600/scale seconds
   with every period divided by `scale`: the same handshakes, requests and state reads as an hour, so the
   traffic and the CPU seconds it counts are an hour's (the 1 s select tick is not scaled; the direct run
   below measures it). The lab API serves TLS on loopback behind a byte-counting relay (TCP/IP headers are
   added as an estimate: 52 B per 1448 B segment plus 10 packets per connection). Targets: < 1 % of one
   core, < 80 MB RSS, < 1 MB per hour. A direct run at the real cadence measures the CPU share too.
   Baseline: an idle Python interpreter's RSS, measured the same way.
2. A week of events in the SQLite record, written through the real Store at a bad network's rate (a cut
   every 2 minutes, a network change every hour with its recheck, two wakes a day, the 10-minute stats
   rows), then pruned: target < 10 MB. Plus the pathological rate (a cut every 30 s) for information.
3. The tray's cost at the wizard's start: the wizard to its first painted page with and without a tray
   icon created right after the QApplication (the same process start otherwise), median of interleaved
   runs; target < 100 ms added.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

CPU_TARGET, RSS_TARGET_MB, TRAFFIC_TARGET_MB, DB_TARGET_MB, TRAY_TARGET_MS = 1.0, 80.0, 1.0, 10.0, 100.0
SEGMENT, HEADER, PACKETS_PER_CONN = 1448, 52, 10
WARMUP_S = 3.0  # the watch's imports and first state read; measured from here on (runs are this much longer)


class CountingRelay:
    """127.0.0.1:port -> target, counting payload bytes both ways and connections."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.bytes = self.connections = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.sock.settimeout(0.5)
        while not self.stop.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                continue
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        pair = {client: upstream, upstream: client}
        deadline = time.monotonic() + 7200
        while not self.stop.is_set() and time.monotonic() < deadline:
            ready, _, _ = select.select(list(pair), [], [], 0.5)
            done = False
            for s in ready:
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    done = True
                    break
                with self.lock:
                    self.bytes += len(data)
                pair[s].sendall(data)
            if done:
                break
        client.close()
        upstream.close()

    def wire_bytes(self) -> int:
        return self.bytes + HEADER * (self.bytes // SEGMENT + PACKETS_PER_CONN * self.connections)


def _start_lab() -> tuple[subprocess.Popen[str], str, str]:
    lab = subprocess.Popen([sys.executable, "-m", "streamdoctor", "lab", "serve", "--profile", "clean", "--tls"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
                           env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    url = ca = ""
    deadline = time.monotonic() + 30
    while (not url or not ca) and time.monotonic() < deadline and lab.stdout is not None:
        line = lab.stdout.readline()
        if line.startswith("Lab profile"):
            url = line.split(" at ")[1].strip()
        if "CA for this run" in line:
            ca = line.split(": ", 1)[1].strip()
    if not url or not ca:
        lab.kill()
        raise RuntimeError("the lab did not start")
    return lab, url, ca


def _watch_run(url_port: int, ca: str, scale: float, duration: float, home: Path) -> dict[str, float]:
    import psutil

    db = home / f"w{scale:g}.sqlite3"
    argv = [sys.executable, "-m", "streamdoctor", "watch", "--base-url", f"https://localhost:{url_port}",
            "--ca-file", ca, "--db", str(db), "--holds", f"{100 / scale:g},{280 / scale:g}",
            "--heartbeat", f"{30 / scale:g}", "--poll", f"{max(0.2, 5 / scale):g}", "--duration", f"{duration:g}"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "STREAMDOCTOR_HOME": str(home)}
    for k in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(k, None)
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    p = psutil.Process(proc.pid)
    time.sleep(WARMUP_S)  # past the imports: the steady state is what runs for days
    c0, t0 = p.cpu_times(), time.monotonic()
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, p.memory_info().rss)
            c1 = p.cpu_times()
        except psutil.Error:
            break
        time.sleep(0.5)
    elapsed = time.monotonic() - t0
    proc.wait(30)
    cpu = (c1.user + c1.system) - (c0.user + c0.system)
    err = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"watch failed ({proc.returncode}): {err[-500:]}")
    return {"cpu_s": cpu, "elapsed_s": elapsed, "rss_mb": peak / 2**20}


def _idle_python_rss() -> float:
    import psutil

    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3)"])
    time.sleep(1.5)
    rss = psutil.Process(proc.pid).memory_info().rss / 2**20
    proc.wait(10)
    return rss


def bench_process(scale: float, direct_s: float) -> list[dict[str, object]]:
    lab, url, ca = _start_lab()
    port = int(url.rsplit(":", 1)[1].rstrip("/"))
    rows: list[dict[str, object]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="sd-bench-watch-") as tmp:
            relay = CountingRelay(("127.0.0.1", port))
            hour = _watch_run(relay.port, ca, scale, 3600 / scale + WARMUP_S, Path(tmp))
            traffic_mb = relay.wire_bytes() / 1e6
            relay.stop.set()
            direct = _watch_run(port, ca, 1.0, direct_s + WARMUP_S, Path(tmp))
    finally:
        lab.terminate()
        lab.wait(10)
    cpu_hour = 100 * hour["cpu_s"] / 3600
    cpu_direct = 100 * direct["cpu_s"] / direct["elapsed_s"]
    rss = max(hour["rss_mb"], direct["rss_mb"])
    base_rss = _idle_python_rss()
    print(f"one watched hour replayed at x{scale:g} ({hour['elapsed_s']:.0f} s): {relay.connections} connections, "
          f"{relay.bytes / 1e3:.0f} kB payload, ~{traffic_mb * 1e3:.0f} kB on the wire")
    print(f"  traffic   {traffic_mb:.3f} MB/h   (target < {TRAFFIC_TARGET_MB} MB/h: "
          f"ratio {traffic_mb / TRAFFIC_TARGET_MB:.2f})")
    print(f"  CPU       {cpu_hour:.3f} % of a core over the hour's work ({hour['cpu_s']:.2f} CPU s); "
          f"direct {direct_s:.0f} s at the real cadence: {cpu_direct:.3f} %  (target < {CPU_TARGET} %)")
    print(f"  RSS peak  {rss:.1f} MB (idle Python {base_rss:.1f} MB, ratio {rss / base_rss:.1f}x; "
          f"target < {RSS_TARGET_MB} MB)")
    rows.append({"bench": "watch", "metric": "traffic per hour, no streams", "value": round(traffic_mb, 3),
                 "unit": "MB/h", "baseline": None, "ratio": round(traffic_mb / TRAFFIC_TARGET_MB, 3),
                 "target": f"< {TRAFFIC_TARGET_MB} MB/h", "ok": traffic_mb < TRAFFIC_TARGET_MB})
    cpu = max(cpu_hour, cpu_direct)
    rows.append({"bench": "watch", "metric": "average CPU (worse of hour replay / direct run)", "value": round(cpu, 3),
                 "unit": "% core", "baseline": None, "ratio": round(cpu / CPU_TARGET, 3), "target": f"< {CPU_TARGET} %",
                 "ok": cpu < CPU_TARGET})
    rows.append({"bench": "watch", "metric": "peak RSS of the watch", "value": round(rss, 1), "unit": "MB",
                 "baseline": round(base_rss, 1), "ratio": round(rss / base_rss, 2), "target": f"< {RSS_TARGET_MB} MB",
                 "ok": rss < RSS_TARGET_MB})
    return rows


def bench_db() -> list[dict[str, object]]:
    from streamdoctor.watch.store import Store

    rows: list[dict[str, object]] = []
    state = {"interfaces": {"wlp2s0": ["192.168.1.23", "2001:db8::23"], "gpd0": ["10.20.30.40"]},
             "default_route": {"ipv4": ["192.168.1.1", "wlp2s0"]}, "api_route": {"interface": "gpd0",
             "ipv4_source": "10.20.30.40", "ipv6_source": None}, "families": ["ipv4", "ipv6"],
             "vpn_adapters": ["GlobalProtect"], "proxy": None, "wifi": "CORP-WLAN", "agents": ["GlobalProtect"]}
    week = 7 * 86400
    for label, cut_every in (("a bad week (a cut every 2 min)", 120), ("pathological (a cut every 30 s)", 30)):
        with tempfile.TemporaryDirectory(prefix="sd-bench-db-") as tmp:
            db = Path(tmp) / "w.sqlite3"
            t0 = time.time() - week
            t_write = time.perf_counter()
            n = 0
            with Store(db) as st:
                sid = st.add_state(state, t=t0)
                st.add_event("start", {"holds_s": [100.0, 280.0]}, state_id=sid, t=t0)
                for k in range(week // cut_every):
                    t = t0 + k * cut_every
                    if k % (3600 // cut_every) == 0:
                        sid = st.add_state({**state, "wifi": f"net{k % 3}"}, t=t)
                        st.add_event("change", {"what": ["wifi"], "reasons": ["address added"]}, state_id=sid, t=t)
                        st.add_event("recheck", {"reason": "after a network change", "old": {"alive": False},
                                                 "fresh": {"ipv4": {"ok": True, "status": 401, "time_s": 0.2}},
                                                 "verdict": "sticky"}, state_id=sid, t=t + 2)
                        n += 2
                    if k % (600 // cut_every) == 0:
                        st.add_event("stats", {"cycles_ok": 9}, state_id=sid, t=t + 1)
                        n += 1
                    if k % (43200 // cut_every) == 0:
                        st.add_event("wake", {"how": "suspend", "missing_s": 3600.0}, state_id=sid, t=t + 3)
                        n += 1
                    st.add_event("cut", {"rung": 0, "hold_s": 100.0, "silence_s": 61.234, "early": False,
                                         "family": "ipv4", "age_s": 61.5, "opened_before_change": False,
                                         "since_last_io_wall": t - 61.2, "found_by": "use"},
                                 ending="reset", state_id=sid, t=t + 5)
                    n += 1
                st.prune()
                st.checkpoint()
                size = st.size_bytes() / 1e6
                kept = len(st.events())
            per_event_ms = (time.perf_counter() - t_write) / n * 1000
        print(f"database, {label}: {n} events written ({per_event_ms:.2f} ms each, committed one by one), "
              f"{kept} kept, {size:.2f} MB (target < {DB_TARGET_MB} MB: ratio {size / DB_TARGET_MB:.2f})")
        rows.append({"bench": "watch", "metric": f"database after {label}", "value": round(size, 2), "unit": "MB",
                     "baseline": None, "ratio": round(size / DB_TARGET_MB, 3), "target": f"< {DB_TARGET_MB} MB",
                     "ok": size < DB_TARGET_MB})
    return rows


WIZARD = r"""
import runpy, sys, tempfile
from pathlib import Path
if sys.argv[1] == "tray":
    import streamdoctor.gui.app as app_module
    make = app_module.make_application
    def with_tray():
        app = make()
        from streamdoctor.gui.watch_tray import WatchTray
        global TRAY
        TRAY = WatchTray(db=Path(tempfile.mkdtemp()) / "w.sqlite3")
        TRAY.tray.show()
        return app
    app_module.make_application = with_tray
sys.argv = ["streamdoctor"]
runpy.run_module("streamdoctor", run_name="__main__")
"""


TRAY_COST = r"""
import sys, tempfile, time
from pathlib import Path
from streamdoctor.gui.app import make_application
import streamdoctor.gui.wizard  # what the wizard has loaded before a tray could be made
app = make_application()
t0 = time.perf_counter()
from streamdoctor.gui.watch_tray import WatchTray
tray = WatchTray(db=Path(tempfile.mkdtemp()) / "w.sqlite3")
tray.tray.show()
app.processEvents()
print(f"tray-cost {time.perf_counter() - t0:.6f}", flush=True)
"""


def bench_tray(runs: int) -> list[dict[str, object]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "STREAMDOCTOR_EXIT_AFTER_FIRST_PAINT": "1",
           "STREAMDOCTOR_HOME": tempfile.mkdtemp(prefix="sd-bench-tray-"),
           "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "streamdoctor-bench-pycache")}
    if not env.get("DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env.pop("PYTHONDONTWRITEBYTECODE", None)

    def once(kind: str) -> float:
        started = time.time()
        done = subprocess.run([sys.executable, "-c", WIZARD, kind], env=env, capture_output=True, text=True,
                              timeout=120, cwd=ROOT)
        for line in done.stdout.splitlines():
            if line.startswith("first-paint "):
                return float(line.split()[1]) - started
        raise RuntimeError(f"no first paint ({kind}, exit {done.returncode}): {done.stderr[-400:]}")

    once("plain"), once("tray")
    plain, tray = [], []
    for _ in range(runs):
        plain.append(once("plain"))
        tray.append(once("tray"))
    p, t = statistics.median(plain), statistics.median(tray)
    direct = []
    for _ in range(runs):  # the tray's own cost, timed inside one process: far less noise than two starts
        done = subprocess.run([sys.executable, "-c", TRAY_COST], env=env, capture_output=True, text=True,
                              timeout=120, cwd=ROOT)
        direct += [float(line.split()[1]) for line in done.stdout.splitlines() if line.startswith("tray-cost ")]
    inside = statistics.median(direct) * 1000 if direct else float("nan")
    print(f"tray made inside a started wizard process (import + icon + menu shown), median of {len(direct)}: "
          f"{inside:.1f} ms")
    # The metric is the cost timed inside the process; the difference of two whole starts (printed below) is
    # within the noise of a loaded machine, so it is shown for information only.
    added = inside if direct else (t - p) * 1000
    print(f"wizard start to first paint, {runs} interleaved runs (median): without tray {p * 1000:.0f} ms, "
          f"with tray {t * 1000:.0f} ms: {(t - p) * 1000:+.0f} ms (target < {TRAY_TARGET_MS:.0f} ms; "
          f"ratio {t / p:.3f}; platform {env.get('QT_QPA_PLATFORM') or 'xcb'})")
    return [{"bench": "watch", "metric": "tray icon added to the wizard's start (timed in-process)",
             "value": round(added, 1),
             "unit": "ms", "baseline": round(p * 1000, 1), "ratio": round(t / p, 3),
             "target": f"< {TRAY_TARGET_MS:.0f} ms", "ok": added < TRAY_TARGET_MS}]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=30.0)
    parser.add_argument("--direct-s", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows = bench_process(args.scale, args.direct_s) + bench_db() + bench_tray(args.runs)
    print(f"load average {os.getloadavg()[0]:.1f}")
    for row in rows:
        print("BENCH " + json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
