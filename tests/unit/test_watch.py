"""The watch's core parts on recorded and made-up inputs: the rtnetlink parser (bytes recorded from a real
kernel), the clock-jump detector (injected clocks: a test cannot suspend the machine), the Wi-Fi parsers,
the SQLite record (versioning, retention, secrets, readers while writing, kill -9) and the analysis."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from streamdoctor.cli import main
from streamdoctor.platform import netchange, wifi
from streamdoctor.watch import analysis
from streamdoctor.watch.core import holds_for_cut
from streamdoctor.watch.probing import recheck_verdict
from streamdoctor.watch.store import SCHEMA_VERSION, Store, StoreError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "watch"


# --- network-change and sleep/wake sources ----------------------------------------------------------------


def test_netlink_parser_on_recorded_kernel_messages() -> None:
    rec = json.loads((FIXTURES / "netlink_changes.json").read_text())
    assert "recorded on Linux" in rec["provenance"]
    seen = {c["command"]: {r for h in c["messages_hex"] for r in netchange.parse_netlink(bytes.fromhex(h))}
            for c in rec["captures"]}
    assert seen["ip route add default via 10.99.0.254"] == {"route added"}
    assert seen["ip route del default"] == {"route removed"}
    assert "address added" in seen["ip addr add 10.99.0.1/24 dev dummy0"]
    assert {"address removed", "route removed"} <= seen["ip addr del 10.99.0.1/24 dev dummy0"]
    assert "link removed" in seen["ip link del dummy0"]
    assert netchange.parse_netlink(b"") == [] and netchange.parse_netlink(b"\x03\x00\x00\x00" * 4) == []


def test_polling_source_reports_a_changed_fingerprint_and_never_waits_past_its_timeout() -> None:
    prints = iter(["A", "A", "B", "B"])
    slept: list[float] = []
    src = netchange.PollingChanges(lambda: next(prints), poll_s=0.0, sleep=slept.append)
    assert src.wait(0.5) == []
    assert src.wait(0.5) == ["network fingerprint changed"]
    assert src.wait(0.5) == []
    slow = netchange.PollingChanges(lambda: "X", poll_s=60.0, sleep=slept.append)
    assert slow.wait(0.25) == [] and max(slept) <= 0.25


class _Clocks:
    def __init__(self) -> None:
        self.mono, self.wall, self.boot = 100.0, 1_000_000.0, 500.0

    def step(self, mono: float, wall: float | None = None, boot: float | None = None) -> None:
        self.mono += mono
        self.wall += mono if wall is None else wall
        self.boot += mono if boot is None else boot


def test_clock_jumps_tell_suspend_from_freeze_from_normal_ticks() -> None:
    c = _Clocks()
    j = netchange.ClockJumps(4.0, mono=lambda: c.mono, wall=lambda: c.wall, boot=lambda: c.boot)
    c.step(1.0)
    assert j.check() is None
    c.step(1.0, wall=601.0, boot=601.0)  # suspended 10 min: monotonic stopped, boot time ran on
    jump = j.check()
    assert jump is not None and jump.kind == "suspend" and 600.0 <= jump.missing_s <= 602.0
    c.step(12.0)  # SIGSTOP for 12 s: every clock ran, the loop did not
    jump = j.check()
    assert jump is not None and jump.kind == "freeze" and jump.missing_s == 12.0
    c.step(1.0, wall=1.0 + 3600.0, boot=1.0)  # an NTP step of the wall clock alone is not a sleep (boot clock)
    assert j.check() is None
    no_boot = netchange.ClockJumps(4.0, mono=lambda: c.mono, wall=lambda: c.wall, boot=lambda: c.wall)
    c.step(0.5, wall=90.0, boot=90.0)  # macOS/Windows: wall vs monotonic is the only mark
    got = no_boot.check()
    assert got is not None and got.kind == "suspend"


# --- Wi-Fi names ------------------------------------------------------------------------------------------
# The output shapes below follow the tools' documented formats (nmcli terse mode escapes ':' in values;
# netsh prints "SSID" before "BSSID"); they were not captured on a machine with Wi-Fi here (the build machine
# has none), so only the parsing is tested, not what a given OS version prints.


def test_wifi_parsers() -> None:
    assert wifi.parse_nmcli_active("no:Guest\nyes:Office\\:5G\n") == "Office:5G"
    assert wifi.parse_nmcli_active("no:Guest\n") is None
    assert wifi.parse_iwgetid("HomeNet\n") == "HomeNet" and wifi.parse_iwgetid("\n") is None
    assert wifi.parse_networksetup("Current Wi-Fi Network: Café Wi-Fi\n") == "Café Wi-Fi"
    assert wifi.parse_networksetup("You are not associated with an AirPort network.\n") is None
    netsh = textwrap.dedent("""
        There is 1 interface on the system:

            Name                   : Wi-Fi
            State                  : connected
            SSID                   : CORP-WLAN
            BSSID                  : 00:11:22:33:44:55
        """)
    assert wifi.parse_netsh_wlan(netsh) == "CORP-WLAN"
    assert wifi.parse_netsh_wlan("    BSSID : 00:11:22:33:44:55\n") is None


# --- the record -------------------------------------------------------------------------------------------


def test_store_versions_prunes_and_keeps_no_secret(tmp_path: Path) -> None:
    db = tmp_path / "w.sqlite3"
    with Store(db) as st:
        sid = st.add_state({"proxy": "http://bob:hunter2@proxy:8080", "note": "key sk-ant-api03-abcdef"})
        for i in range(30):
            st.add_event("cut", {"i": i}, ending="reset", state_id=sid, t=1000.0 + i)
        assert st.prune(now=1000.0 + 29, max_events=10) == 20
        assert [e.data["i"] for e in st.events()] == list(range(20, 30))
        assert st.prune(now=1000.0 + 29 + 31 * 86400) == 10 and st.events() == []
    raw = db.read_bytes() + (Path(f"{db}-wal").read_bytes() if Path(f"{db}-wal").exists() else b"")
    assert b"hunter2" not in raw and b"sk-ant-api03" not in raw
    with sqlite3.connect(db) as con:
        con.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreError, match="newer"):
        Store(db)
    with pytest.raises(StoreError, match="no watch record"):
        Store(tmp_path / "missing.sqlite3", readonly=True)


_WRITER = """
import os, signal, sys
from streamdoctor.watch.store import Store
st = Store(sys.argv[1])
for i in range(50):
    st.add_event("cut", {"i": i}, ending="reset")
print("written", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_reader_sees_events_while_writing_and_kill_9_loses_none_committed(tmp_path: Path) -> None:
    db = tmp_path / "w.sqlite3"
    with Store(db) as writer:
        writer.add_event("start", {})
        with Store(db, readonly=True) as reader:
            assert [e.kind for e in reader.events()] == ["start"]
            writer.add_event("cut", {"i": 0}, ending="drop")
            assert [e.kind for e in reader.events()] == ["start", "cut"]
    proc = subprocess.run([sys.executable, "-c", _WRITER, str(db)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.returncode == -signal.SIGKILL and "written" in proc.stdout
    with Store(db, readonly=True) as reader:
        kinds = [e.data.get("i") for e in reader.events() if e.kind == "cut"]
    assert kinds == [0, *range(50)]
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# --- analysis ---------------------------------------------------------------------------------------------


def _ev(i: int, t: float, kind: str, sid: int, **data: Any) -> dict[str, Any]:
    return {"id": i, "t": t, "kind": kind, "state_id": sid, "ending": data.pop("ending", None), **data}


HOME = {"vpn_adapters": [], "agents": [], "wifi": "Home", "families": ["ipv4"]}
VPN = {"vpn_adapters": ["GlobalProtect"], "agents": ["GlobalProtect"], "wifi": "Office", "families": ["ipv4"]}


def test_analysis_names_the_state_the_cuts_go_with_and_counts_it() -> None:
    ev = [_ev(1, 0, "start", 1), _ev(2, 3600, "change", 2)]
    ev += [_ev(3 + k, 3700 + 300 * k, "cut", 2, ending="reset", family="ipv4") for k in range(12)]
    ev += [_ev(20, 7300, "change", 1), _ev(21, 7400, "cut", 1, ending="drop", opened_before_change=True),
           _ev(22, 14400, "stop", 1)]
    a = analysis.analyse(ev, {1: HOME, 2: VPN})
    assert a["cuts"] == 13 and a["change_casualties"] == 1
    vpn = next(c for c in a["correlations"] if c["id"] == "vpn")
    assert vpn["text"].startswith("12 of 12 cuts happened with GlobalProtect") and "none with no VPN" in vpn["text"]
    net = next(c for c in a["correlations"] if c["id"] == "network")
    assert net["value"] == "Wi-Fi Office" and "none on Wi-Fi Home" in net["text"]
    assert a["endings"] == {"reset": 12, "drop": 1}
    lines = analysis.summary_lines(a)
    assert any("opened before a network change" in line for line in lines)


def test_analysis_finds_cuts_clustering_after_wake_but_not_by_chance() -> None:
    ev = [_ev(1, 0, "start", 1)]
    for k in range(4):  # four wakes, a cut 40 s after each, over 10 h
        ev += [_ev(10 + 2 * k, 9000 * k + 100, "wake", 1, how="suspend"),
               _ev(11 + 2 * k, 9000 * k + 140, "cut", 1, ending="reset")]
    ev += [_ev(99, 36000, "stop", 1)]
    a = analysis.analyse(ev, {1: HOME})
    wake = next(c for c in a["correlations"] if c["id"] == "after_wake")
    assert wake["count"] == 4 and "in the 2 minutes after the laptop woke" in wake["text"]
    assert not any(c["id"] == "vpn" for c in a["correlations"])  # one state all along: nothing to tell apart
    spread = [_ev(1, 0, "start", 1)] + [_ev(2 + k, 100 + 900 * k, "cut", 1, ending="reset") for k in range(4)]
    spread += [_ev(10, 100, "wake", 1), _ev(11, 4000, "stop", 1)]
    assert not any(c["id"] == "after_wake" for c in analysis.analyse(spread, {1: HOME})["correlations"])


def test_recheck_verdicts_and_words() -> None:
    assert recheck_verdict({"alive": False}, {"ipv4": {"ok": True}}) == "sticky"
    assert recheck_verdict({"alive": True}, {"ipv4": {"ok": True}}) == "fine"
    assert recheck_verdict(None, {"ipv4": {"ok": False}}) == "broken"
    assert recheck_verdict(None, {}) == "broken"
    assert recheck_verdict({"alive": False}, {"ipv4": {"ok": True}, "ipv6": {"ok": False}}) == "family:ipv6"
    assert "restart Claude Code" in analysis.verdict_text("sticky")
    assert "still broken" in analysis.verdict_text("broken") or "stayed broken" in analysis.verdict_text("broken")
    assert "IPv6" in analysis.verdict_text("family:ipv6")


def test_holds_follow_a_measured_cut() -> None:
    assert holds_for_cut(None) == [100.0, 280.0]
    assert holds_for_cut(60.0) == [48.0, 75.0]
    assert holds_for_cut(5.0) == [20.0, 30.0]  # never a handshake every few seconds


@pytest.mark.parametrize("argv, words", [
    (["watch", "--duration", "-1"], "--duration"),
    (["watch", "--holds", "abc", "--duration", "1"], "--holds"),
    (["watch", "--max-events", "0"], "--max-events"),
    (["watch", "--cut", "-5"], "--cut"),
    (["watch", "--base-url", "ftp://x", "--duration", "1"], "not a usable URL"),
    (["watch", "--status"], "no watch record"),
])
def test_bad_watch_input_is_one_line_and_exit_2(argv: list[str], words: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("STREAMDOCTOR_HOME", str(tmp_path))
    plain = argv[1] == "--status" or "--base-url" in argv
    assert main(argv if plain else [*argv, "--base-url", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "data" / "watch.sqlite3.pid").exists()
    assert not (tmp_path / "data" / "watch.sqlite3").exists()


def test_rules_turn_correlations_and_rechecks_into_findings() -> None:
    from streamdoctor.diagnosis import diagnose
    from streamdoctor.model import ProbeResult, Status
    from streamdoctor.watch.svg import render
    from streamdoctor.watch.timeline import build

    ev = [_ev(1, 0, "start", 1), _ev(2, 3600, "change", 2)]
    ev += [_ev(3 + k, 3700 + 300 * k, "cut", 2, ending="reset", family="ipv4") for k in range(6)]
    ev += [_ev(20, 7300, "change", 1), _ev(21, 7305, "recheck", 1, verdict="sticky", reason="after a network change"),
           _ev(22, 9000, "outage", 1), _ev(23, 9060, "recovered", 1), _ev(24, 9100, "wake", 1),
           _ev(25, 14400, "stop", 1)]
    states = {1: HOME, 2: VPN}
    a = analysis.analyse(ev, states)
    verdict = diagnose([ProbeResult("watch", Status.FAIL, "x", data={"analysis": a, "events": ev})])
    by_cause = {f.cause: f for f in verdict.findings}
    assert by_cause["watch-vpn"].plain.startswith("6 of 6 cuts happened with GlobalProtect")
    assert "GlobalProtect" in by_cause["watch-vpn"].ask_it
    assert by_cause["sticky-after-change"].failure_mode == 16
    assert "restart" in by_cause["sticky-after-change"].title
    tl = build(ev, states)
    assert tl is not None and len(tl.cuts) == 6 and tl.outages == [(9000, 9060)] and tl.wakes == [9100]
    assert {b[2] for b in tl.bands} == {"Wi-Fi Home · no VPN", "Wi-Fi Office · GlobalProtect"}
    svg = render(tl)
    assert svg.startswith("<svg") and "hours since the watch started" in svg and "6 cuts" in svg


def test_a_slow_turn_of_the_callers_own_work_is_not_a_freeze() -> None:
    c = _Clocks()
    j = netchange.ClockJumps(1.0, mono=lambda: c.mono, wall=lambda: c.wall, boot=lambda: c.boot)
    c.step(30.0)  # a recheck's connects took 30 s, the wait itself 0.9 s
    assert j.check(waited_s=0.9) is None
    c.step(12.0)  # the wait itself overran by 11 s: the process did not run
    jump = j.check(waited_s=12.0)
    assert jump is not None and jump.kind == "freeze" and jump.missing_s == 12.0
    c.step(5.0, wall=605.0, boot=605.0)  # a suspend is seen from the clocks even inside slow work
    jump = j.check(waited_s=0.5)
    assert jump is not None and jump.kind == "suspend"


def test_start_at_login_is_written_and_removed_in_the_users_folder(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from streamdoctor.watch import launch

    if sys.platform == "win32":
        pytest.skip("the Run key is tested on Windows CI")
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    argv = launch.watch_argv("https://api.example.test", extra=("--cut", "30"))
    assert argv[-5:] == ["watch", "--base-url", "https://api.example.test", "--cut", "30"]
    assert not launch.autostart_enabled(tmp_path)
    where = launch.enable_autostart(argv, tmp_path)
    assert Path(where).is_relative_to(tmp_path) and launch.autostart_enabled(tmp_path)
    text = Path(where).read_text() if sys.platform != "darwin" else ""
    assert sys.platform == "darwin" or ("Exec=" in text and "--cut 30" in text and "Hidden" not in text)
    assert launch.disable_autostart(tmp_path) and not launch.autostart_enabled(tmp_path)
    assert not launch.disable_autostart(tmp_path)  # twice is fine
    plist = launch.launch_agent(argv)
    assert b"RunAtLoad" in plist and b"https://api.example.test" in plist


# `route -n monitor` as route(8) prints a routing message (route.c's print_rtmsg: a header line, then
# "RTM_<TYPE>: <description>: len ..."). Written from that format by hand, not captured on a Mac here: what
# is tested is the parsing and the pipe plumbing, not a particular macOS version's output.
ROUTE_MONITOR = """\
got message of size 124 on Tue Dec  1 10:00:00 2026
RTM_IFINFO: iface status change: len 112, if# 14, link: up, flags:<UP,POINTOPOINT,RUNNING,MULTICAST>

got message of size 92 on Tue Dec  1 10:00:00 2026
RTM_RESOLVE: Route created by cloning: len 92, pid: 0, seq 0, errno 0, flags:<UP,HOST,DONE,LLINFO,WASCLONED>
locks:  inits:
sockaddrs: <DST,GATEWAY>
 192.168.1.20 link#4

got message of size 140 on Tue Dec  1 10:00:01 2026
RTM_ADD: Add Route: len 140, pid: 412, seq 3, errno 0, flags:<UP,GATEWAY,DONE,STATIC,PRCLONING>
locks:  inits:
sockaddrs: <DST,GATEWAY,NETMASK>
 default 10.20.0.1 default
"""


def test_route_monitor_parser_keeps_changes_and_ignores_arp_noise() -> None:
    assert netchange.parse_route_monitor(ROUTE_MONITOR) == ["link up/changed", "route added"]
    assert netchange.parse_route_monitor("RTM_MISS: Lookup failed on this address: len 92\n") == []


def test_route_monitor_source_reads_its_pipe_within_the_timeout_and_closes() -> None:
    script = ("import sys, time\nsys.stdout.write(sys.argv[1]); sys.stdout.flush()\ntime.sleep(30)\n")
    src = netchange.RouteMonitorChanges([sys.executable, "-c", script, ROUTE_MONITOR])
    try:
        got: list[str] = []
        for _ in range(50):  # up to 5 s for the child to start and write
            got += src.wait(0.1)
            if "route added" in got:
                break
        assert got == ["link up/changed", "route added"]
        assert src.wait(0.05) == []
    finally:
        src.close()
    assert src.proc.poll() is not None
