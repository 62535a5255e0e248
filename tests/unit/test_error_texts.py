"""'What did you see?': error texts matched to meanings, and whether the run's findings explain them."""

from __future__ import annotations

import json

import pytest

from streamdoctor.error_texts import examples, identify, relate
from streamdoctor.model import Confidence, Finding, Overall, Severity, Verdict


@pytest.mark.parametrize(("text", "first"), [
    ("API Error: Connection closed mid-response. The response above may be incomplete.",
     "connection-closed-mid-response"),
    ("Stream idle timeout - partial response received", "stream-idle-timeout"),
    ("Unable to connect to API (ECONNRESET)", "econnreset"),
    ("Unable to connect to API: SSL certificate verification failed", "self-signed-cert"),
    ("SELF_SIGNED_CERT_IN_CHAIN", "self-signed-cert"),
    ("No response from API within the first-byte window (waited 45s)", "no-response"),
    ("Request timed out", "request-timed-out"),
    ("Repeated 529 Overloaded errors", "overloaded"),
    ("httpx.RemoteProtocolError: peer closed connection without sending complete message body "
     "(incomplete chunked read)", "incomplete-chunked-read"),
])
def test_the_texts_users_report_are_recognised(text, first):
    assert identify(text)[0].id == first


def test_numbers_inside_other_numbers_are_not_status_codes():
    assert [e.id for e in identify("stall of 15290 ms")] == []


def test_every_example_is_recognised_as_its_own_entry():
    for text in examples():
        assert identify(text), text


def _verdict(*causes: str) -> Verdict:
    fs = [Finding(f"r.{c}", c, Severity.PROBLEM, Confidence.HIGH, f"title {c}", c) for c in causes]
    return Verdict(Overall.PROBLEM if fs else Overall.HEALTHY, "x", fs)


def test_a_measured_idle_reset_explains_connection_closed_mid_response():
    out = relate("API Error: Connection closed mid-response", _verdict("idle-reset"))
    assert out["explains"] is True and out["explained_by"] == [{"rule": "r.idle-reset", "title": "title idle-reset"}]


def test_a_healthy_run_says_it_does_not_explain_it():
    out = relate("SELF_SIGNED_CERT_IN_CHAIN", _verdict("slow-first-byte"))
    assert out["explains"] is False and "does not explain" in out["sentence"] and "tls" in out["tests"]


def test_server_side_errors_are_not_blamed_on_the_network():
    out = relate("Repeated 529 Overloaded errors", _verdict("idle-reset"))
    assert out["explains"] is None and "not the network" in out["sentence"]


def test_a_known_bug_of_the_installed_version_is_named():
    clients = {"claude_code": {"installed": True, "version": "2.1.197", "env": {}}}
    out = relate("API Error: Connection closed mid-response", _verdict(), clients)
    assert any("fixed in 2.1.222" in b for b in out["bugs"]) and "2.1.198" in out["sentence"]


def test_a_pasted_secret_is_redacted():
    key = "sk-ant-api03-abcDEF123_xyz-abcdefghijklmnopqrstuvwxyz0123456789AA"
    out = relate(f"Request timed out {key}", _verdict())
    assert key[:20] not in json.dumps(out) and out["recognised"] == ["request-timed-out"]


def test_cli_check_error_prints_the_answer_and_rejects_an_empty_text(capsys):
    from streamdoctor.cli import main

    assert main(["check", "--lab", "clean", "--quick", "--error", "Request timed out"]) == 0
    assert "What you saw: What we measured does not explain" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["check", "--lab", "clean", "--quick", "--error", "  \x07 "])
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("streamdoctor check: error: argument --error")


def test_redactor_catches_a_bare_api_key_in_a_line_without_other_hints():
    """Found while building --error: a line with only an sk-ant- key (no 'key', no '=') passed the redactor's
    cheap gate untouched."""
    from streamdoctor.bundle.redact import Redactor

    key = "sk-ant-api03-abcDEF123_xyz-abcdefghijklmnopqrstuvwxyz0123456789AA"
    assert key not in Redactor().text(f"Request timed out {key}")


def test_the_bundle_says_what_the_user_saw(tmp_path, capsys):
    import zipfile

    assert main_check(["check", "--lab", "clean", "--quick", "--error", "SELF_SIGNED_CERT_IN_CHAIN",
                       "--bundle", str(tmp_path)]) == 0
    capsys.readouterr()
    (zpath,) = tmp_path.glob("*.zip")
    with zipfile.ZipFile(zpath) as z:
        summary = z.read("summary.txt").decode()
        html = z.read("report.html").decode()
    assert "The user saw: SELF_SIGNED_CERT_IN_CHAIN" in summary and "does not explain" in summary
    assert "The user saw:" in html


def main_check(argv):
    from streamdoctor.cli import main

    return main(argv)
