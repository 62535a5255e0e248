"""The background watch against real gear: a router's firewall cut switched on and off during a watch, the
default route moved between two uplinks (one named like GlobalProtect's adapter), the watch frozen and resumed
(SIGSTOP/SIGCONT, standing in for sleep), and kill -9. Assertions are on the watch's own SQLite record, read
while the watch runs and after it was killed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import netlab
from streamdoctor.watch.analysis import analyse
from streamdoctor.watch.store import Store

pytestmark = pytest.mark.netlab

DETECT_SLACK_S = 2.0 + 1.5  # response timeout (a drop is known only then) + one tick and scheduling


@pytest.fixture
def uplinks(netlab_session: None) -> Iterator[netlab.UplinksScenario]:
    sc = netlab.build_uplinks()
    try:
        yield sc
    finally:
        sc.close()


def _start_watch(sc: netlab.Scenario, db: Path, holds: str, duration: float) -> subprocess.Popen[Any]:
    argv = [netlab.PY, "-m", "streamdoctor", "watch", "--base-url", sc.api_url, "--db", str(db), "--holds", holds,
            "--heartbeat", "1", "--poll", "1", "--response-timeout", "2", "--connect-timeout", "1",
            "--duration", str(duration)]
    env = {"STREAMDOCTOR_HOME": str(sc.workdir / "home"), "PYTHONUNBUFFERED": "1"}
    proc = sc.popen_client(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # the record exists and the start event is in it
        if db.exists():
            with contextlib.suppress(sqlite3.Error), Store(db, readonly=True) as st:
                if any(e.kind == "start" for e in st.events()):
                    return proc
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        time.sleep(0.2)
    raise AssertionError("the watch did not start within 20 s")


def _record(db: Path) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]]]:
    with Store(db, readonly=True) as st:
        return [e.as_dict() for e in st.events()], st.states()


def _wait_exit(proc: subprocess.Popen[Any], timeout: float) -> str:
    out, _ = proc.communicate(timeout=timeout)
    return out or ""


def test_watch_catches_switched_cuts_and_names_the_vpn(uplinks: netlab.UplinksScenario, tmp_path: Path) -> None:
    sc = uplinks
    db = sc.workdir / "watch.sqlite3"
    proc = _start_watch(sc, db, holds="2,4", duration=40)
    t0 = time.time()
    windows: list[tuple[str, float, float]] = []
    changes: list[float] = []
    time.sleep(6)
    sc.use_uplink("b")  # the "VPN" comes up and carries the traffic
    changes.append(time.time())
    time.sleep(3)
    for mode in ("reset", "drop"):
        sc.set_cut(mode)
        on = time.time()
        time.sleep(5)
        sc.set_cut(None)
        windows.append((mode, on, time.time()))
        time.sleep(3)
    sc.use_uplink("a")  # back home: the VPN adapter goes down
    changes.append(time.time())
    out = _wait_exit(proc, timeout=60)
    assert proc.returncode == 0, out
    events, states = _record(db)
    cuts = [e for e in events if e["kind"] == "cut"]
    outages = [e for e in events if e["kind"] == "outage"]

    for mode, on, off in windows:
        ending = "reset" if mode == "reset" else "drop"
        caught = [c for c in cuts if on <= c["t"] <= off + DETECT_SLACK_S and c["ending"] == ending]
        assert caught, f"no {ending} cut caught in the {mode} window {on - t0:.1f}..{off - t0:.1f} s: " \
                       f"{[(round(c['t'] - t0, 1), c['ending']) for c in cuts]}"
        # the time of a caught cut: after the cut was switched on, and before it was off plus the detection time
        assert all(on - 0.1 <= c["t"] for c in caught)
        down = [o for o in outages if on <= o["t"] <= off + DETECT_SLACK_S]
        assert down and down[0]["ending"] == ending, f"{mode}: outages {outages}"
        netlab.record(f"watch: {mode} cut on at {on - t0:.1f} s", f"first cut caught {caught[0]['t'] - on:.1f} s "
                      f"later ({len(caught)} cuts, ending {ending}); outage seen {down[0]['t'] - on:.1f} s later")

    def in_window(t: float) -> bool:
        return any(on <= t <= off + DETECT_SLACK_S for _, on, off in windows)

    strays = [c for c in cuts if not in_window(c["t"]) and not c.get("opened_before_change")]
    assert not strays, f"cuts outside the switched windows: {strays}"
    for c in cuts:
        if in_window(c["t"]):
            assert "GlobalProtect" in (states[c["state_id"]].get("vpn_adapters") or []), c

    recorded_changes = [e for e in events if e["kind"] == "change"]
    for t in changes:
        near = [e for e in recorded_changes if t - 0.5 <= e["t"] <= t + 3]
        assert near, (t - t0, recorded_changes)
        # what changed is named: the VPN adapter came or went, and the default route moved
        assert {"vpn_adapters", "default_route"} <= {w for e in near for w in e["what"]}, near
        assert any(e["reasons"] for e in near), near  # seen from the kernel's own announcement, not a poll

    a = analyse(events, states)
    vpn = next((c for c in a["correlations"] if c["id"] == "vpn"), None)
    assert vpn is not None and vpn["value"] == "GlobalProtect", a["correlations"]
    assert vpn["count"] == vpn["total"] >= 2
    assert "none with no VPN" in vpn["text"]
    netlab.record("watch: correlation", vpn["text"])


def test_watch_sticky_state_freeze_and_kill_9(uplinks: netlab.UplinksScenario) -> None:
    sc = uplinks
    db = sc.workdir / "watch.sqlite3"
    proc = _start_watch(sc, db, holds="3,40", duration=120)
    time.sleep(6)  # the 40 s connection is now held from before the change
    moved = time.time()
    sc.use_uplink("b", drop_other=True)  # the old network is gone; the new one works
    deadline = time.monotonic() + 20
    recheck: dict[str, Any] | None = None
    while recheck is None and time.monotonic() < deadline:  # read while the watch writes
        time.sleep(0.5)
        recheck = next((e for e in _record(db)[0] if e["kind"] == "recheck"), None)
    assert recheck is not None, "no recheck after the uplink moved"
    assert recheck["verdict"] == "sticky", recheck
    assert recheck["old"] == {"alive": False, "ending": "drop", "age_s": recheck["old"]["age_s"]}
    assert recheck["fresh"]["ipv4"]["ok"] is True
    netlab.record("watch: uplink moved", f"recheck {recheck['t'] - moved:.1f} s later: {recheck['verdict']}")

    os.killpg(proc.pid, signal.SIGSTOP)  # the laptop "sleeps"
    frozen = time.time()
    time.sleep(10)
    os.killpg(proc.pid, signal.SIGCONT)
    deadline = time.monotonic() + 10
    wake: dict[str, Any] | None = None
    while wake is None and time.monotonic() < deadline:
        time.sleep(0.5)
        wake = next((e for e in _record(db)[0] if e["kind"] == "wake"), None)
    assert wake is not None, "the freeze was not noticed"
    assert wake["how"] == "freeze" and 9.0 <= wake["missing_s"] <= 14.0, wake
    assert frozen + 9.5 <= wake["t"] <= frozen + 14, wake
    netlab.record("watch: SIGSTOP 10 s", f"wake recorded, {wake['missing_s']:.1f} s missing")

    before, _ = _record(db)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)
    after, states = _record(db)
    assert [e["id"] for e in after][: len(before)] == [e["id"] for e in before]
    assert {e["kind"] for e in before} >= {"start", "change", "recheck", "wake"}
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    a = analyse(after, states)
    assert a["rechecks"].get("sticky", 0) >= 1
    netlab.record("watch: kill -9", f"{len(after)} events survived ({len(before)} read before the kill)")
