"""The report's charts and the IT section on made-up data: long runs stay small, silences are marked with their
length, a missing probe leaves its chart out, and measured facts no finding covered still reach IT."""

import xml.etree.ElementTree as ET

from streamdoctor.bundle import charts, facts
from streamdoctor.bundle.har import har_from_report
from streamdoctor.model import Overall, ProbeResult, Report, Status, Verdict


def report(*results: ProbeResult) -> Report:
    return Report({"base_url": "https://api.anthropic.com"}, list(results), Verdict(Overall.PROBLEM, "x"))


def long_stream() -> ProbeResult:
    samples = [[0.5 + i * 0.01, 100, "content_block_delta"] for i in range(2000)]
    samples += [[40.0 + i * 0.01, 100, "ping" if i % 10 == 0 else "content_block_delta"] for i in range(3000)]
    return ProbeResult("stream", Status.FAIL, "reset", data={
        "samples": samples, "total_s": 100.0, "outcome": "reset", "bytes": 600_000})


def test_a_5000_event_stream_stays_small_and_marks_its_silences():
    svg = charts.stream_timeline_svg(report(long_stream()))
    assert svg is not None and len(svg) < 80_000
    ET.fromstring(svg)  # well-formed XML, so it also works as a standalone .svg file
    assert "19.5 s silent" in svg  # the last text at 20.49 s, the next at 40.0 s
    assert "30.0 s silent until the end" in svg and "reset at 100.0 s" in svg
    curve = charts.bytes_over_time_svg(report(long_stream()))
    assert curve is not None and len(curve) < 80_000 and "488.3 KB, reset" in curve
    ET.fromstring(curve)


def test_idle_ladder_shows_survivors_the_cut_and_escapes_text():
    idle = ProbeResult("idle", Status.FAIL, "cut", data={"cut_s": 30.0, "bracket": [25.0, 30.0], "connections": [
        {"id": 1, "hold_s": 10.0, "state": "alive", "idle_s": 10.0},
        {"id": 2, "hold_s": 25.0, "state": "alive", "idle_s": 25.0},
        {"id": 3, "hold_s": 60.0, "state": "reset", "idle_s": 30.1},
        {"id": 4, "hold_s": 90.0, "state": "<b>odd</b>", "idle_s": 30.2},
        {"id": 5, "hold_s": 5.0, "state": "error"},
        {"id": 6, "hold_s": 400.0, "state": "alive", "inflight": True},
    ]})
    svg = charts.idle_ladder_svg(report(idle))
    assert svg is not None
    ET.fromstring(svg)
    assert "cut ≈ 30.0 s" in svg and "reset (RST) after 30.1 s" in svg
    assert "<b>" not in svg and "&lt;b&gt;odd" in svg
    assert svg.count("silent ") == 4  # the error rung and the in-flight request are not ladder rungs


def test_no_data_no_chart():
    empty = report(ProbeResult("stream", Status.SKIPPED, "no key"))
    assert charts.all_charts(empty) == {}
    assert har_from_report(empty)["log"]["entries"] == []


def test_measured_facts_reach_it_without_a_finding():
    r = report(
        ProbeResult("tls", Status.WARN, "", data={"inspected": True, "inspector": "Zscaler",
                                                   "issuer": "Zscaler Root CA"}),
        ProbeResult("mtu", Status.WARN, "", data={"path_mtu": 1400, "interface": "wg0", "interface_mtu": 1500,
                                                   "black_hole": True}),
        ProbeResult("idle", Status.FAIL, "", data={"cut_s": 290.0, "ending": "fin"}),
    )
    changes = {c.kind: c for c in facts.network_changes(r)}
    assert "api.anthropic.com:443" in changes["tls-exemption"].title and "Zscaler" in changes["tls-exemption"].detail
    assert "1400" in changes["mtu"].detail and "1500" in changes["mtu"].detail
    assert "290 s" in changes["idle-timeout"].detail and "600 s" in changes["idle-timeout"].detail
    rows = dict(facts.network_facts(r))
    assert rows["Idle time after which connections are cut"] == "290.0 s"
