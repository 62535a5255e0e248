import json

import pytest

from streamdoctor.model import (
    SCHEMA_VERSION,
    Confidence,
    Evidence,
    Finding,
    Overall,
    ProbeResult,
    Report,
    Severity,
    Status,
    Verdict,
    report_from,
    to_jsonable,
)


def _report() -> Report:
    finding = Finding("stream.cut", "idle-reset", Severity.PROBLEM, Confidence.HIGH, "t", "plain",
                      [Evidence("Silence", 3.0, "s", "raw")], ["sdk-snippet"], "ask", 1)
    result = ProbeResult("stream", Status.FAIL, "reset", {"outcome": "reset", "samples": [(0.1, 10, "ping")]},
                         [Evidence("x", 1)])
    return Report({"base_url": "http://x"}, [result], Verdict(Overall.PROBLEM, "h", [finding]), "0.1.0")


def test_report_round_trips_through_json():
    report = _report()
    text = json.dumps(to_jsonable(report))
    back = report_from(json.loads(text))
    assert back.schema_version == SCHEMA_VERSION
    assert back.verdict.findings[0].severity is Severity.PROBLEM
    assert back.results[0].status is Status.FAIL
    assert back.results[0].evidence[0].label == "x"
    assert to_jsonable(back) == json.loads(text)


def test_newer_schema_is_refused_with_a_clear_message():
    d = to_jsonable(_report())
    d["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(ValueError, match="not supported"):
        report_from(d)


@pytest.mark.parametrize(("overall", "code"), [(Overall.HEALTHY, 0), (Overall.PROBLEM, 1), (Overall.UNTESTED, 2)])
def test_exit_codes_are_the_documented_ones(overall, code):
    assert Verdict(overall, "").exit_code == code


def test_evidence_text_formats_units():
    assert Evidence("Silence", 3.04, "s").text() == "Silence: 3.04 s"
    assert Evidence("Bytes", 12, "B").text() == "Bytes: 12 B"


def test_advice_to_it_names_the_host_that_was_tested():
    from streamdoctor.diagnosis import _name_the_tested_host

    text = "Please exempt api.anthropic.com:443 from inspection; api.anthropic.com streams for minutes."
    assert _name_the_tested_host(text, "https://llm-gw.corp.example:8443/anthropic") == (
        "Please exempt llm-gw.corp.example:8443 from inspection; llm-gw.corp.example streams for minutes.")
    assert _name_the_tested_host(text, "https://api.anthropic.com") == text
    assert _name_the_tested_host(text, "") == text


def test_a_healthy_verdict_only_vouches_for_streams_when_one_was_tested():
    from streamdoctor.diagnosis import diagnose

    dns = ProbeResult("dns", Status.OK, "resolved")
    assert "no streamed answer was tested" in diagnose([dns]).headline
    streamed = ProbeResult("stream", Status.OK, "completed", {"outcome": "completed", "largest_burst_share": 0.1,
                                                              "text_events": 5, "limits": {}})
    assert "intact" in diagnose([dns, streamed]).headline
