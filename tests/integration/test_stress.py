"""The stress test: the real anthropic SDK against the lab, every event timed, the ending classified (over TLS
too), the cost shown before it starts, and the SDK's missing retry of a cut stream shown, not assumed."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import contextmanager

import anthropic
import pytest

from streamdoctor.cancel import CancelToken
from streamdoctor.errors import UserError
from streamdoctor.lab import LAB_API_KEY, LabProfile, LabRuntime, get_profile
from streamdoctor.lab.reference import midstream_reset_server
from streamdoctor.lab.server import ServerBehaviour
from streamdoctor.lab.tls import LabTLS
from streamdoctor.probes.base import ProbeContext
from streamdoctor.probes.sdk_retry import check_midstream_retry
from streamdoctor.probes.stream import StreamProbe
from streamdoctor.probes.stress_plan import SIZES, plan_for


def stress(*args: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    proc = subprocess.run([sys.executable, "-m", "streamdoctor", "stress", "--json", *args],
                          capture_output=True, text=True, timeout=90)
    return proc, json.loads(proc.stdout) if proc.stdout.strip() else {}


def test_stress_on_a_healthy_lab_records_every_event():
    proc, report = stress("--lab", "clean", "--size", "standard")
    assert proc.returncode == 0, proc.stderr
    # The size, the token count and an approximate cost come before anything is sent.
    assert f"up to {SIZES['standard']} output tokens" in proc.stderr and "approximate" in proc.stderr
    d = next(r for r in report["results"] if r["probe"] == "stream")["data"]
    assert d["outcome"] == "completed"
    assert d["plan"]["size"] == "standard" and d["plan"]["cost_is_approximate"] is True
    events = sum(d["events"].values())
    assert sum(d["gap_histogram"].values()) == events - 1  # every inter-event gap counted, in constant memory
    kinds = {s[2] for s in d["samples"]}
    assert {"message_start", "ping", "content_block_delta", "message_stop"} <= kinds  # ping: below the SDK
    assert all(len(s) == 3 and s[1] >= 0 for s in d["samples"])  # (arrival time, bytes, type)
    assert d["pings"] >= 1 and d["tokens_per_s"] > 0 and d["time_to_first_text_s"] > 0


def test_the_sdk_does_not_retry_a_stream_cut_midway(monkeypatch):
    """The article's Fix 4, checked on the installed SDK (DESIGN.md: it does not retry after the stream began).
    A proxy in the environment (here a dead one) is not used for the loopback reference server."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    check = check_midstream_retry(midstream_reset_server)
    assert check["sdk_version"] == anthropic.__version__
    assert check["max_retries"] == 2  # the SDK's default retry setting was in force
    assert check["streams_started"] == 1 and check["retried"] is False
    assert "ReadError" in check["error"] or "RemoteProtocolError" in check["error"]
    assert 0 < check["text_chars"] < 4096  # some text arrived, then the cut


def test_the_retry_check_counts_every_request_the_sdk_sends():
    """The count comes from the SDK's own client, not from the lab: a 529 before headers is retried twice."""

    @contextmanager
    def overloaded():
        with LabRuntime(LabProfile("overloaded", "", ServerBehaviour(status=529, retry_after_s=0))) as lab:
            yield lab.url, LAB_API_KEY

    check = check_midstream_retry(overloaded)
    assert check["streams_started"] == 3 and check["retried"] is True  # 1 + the SDK's 2 retries
    assert "529" in check["error"] or "Overloaded" in check["error"]


def test_the_retry_check_without_a_server_says_it_did_not_run():
    check = check_midstream_retry(None)
    assert check["retried"] is None and "could not run" in check["error"]


def test_a_cut_stream_points_to_the_resumable_snippet():
    proc, report = stress("--lab", "midstream-reset")
    assert proc.returncode == 1
    causes = {f["cause"]: f for f in report["verdict"]["findings"]}
    assert "midstream-reset" in causes
    resume = causes["sdk-no-resume"]
    assert resume["fix_ids"] == ["sdk-snippet"]
    assert anthropic.__version__ in resume["plain"] and "1 request" in resume["plain"]


@pytest.mark.parametrize(("profile", "outcome"), [("idle-reset", "reset"), ("idle-fin", "closed")])
def test_over_tls_a_reset_is_told_from_a_close(profile, outcome):
    """Through the SDK over TLS both endings surface as RemoteProtocolError; the kernel's view tells them apart."""
    with LabTLS() as tls, LabRuntime(get_profile(profile), ssl_context=tls.server_context(),
                                     url_host="localhost") as lab:
        ctx = ProbeContext(base_url=lab.url, api_key="sk-ant-lab-demo", ca_file=tls.ca_file, stall_timeout_s=8,
                           options={"sdk_retry_check": False})
        seen = []
        result = StreamProbe().run(ctx, seen.append, CancelToken())
    assert result.data["outcome"] == outcome, result.data["exception_chain"]
    assert result.data["silence_before_end_s"] == pytest.approx(3.0, abs=0.6)
    assert seen and seen[-1].data["kind"] == "stream"


def test_the_plan_prices_by_model_family():
    opus, haiku = plan_for("claude-opus-5-5", "long"), plan_for("claude-haiku-5-5", "long")
    assert opus.max_tokens == haiku.max_tokens == SIZES["long"]
    assert opus.cost_usd > haiku.cost_usd > 0
    assert plan_for("some-gateway-model", "quick").family == "sonnet"  # unknown: the middle row
    assert "$" in opus.line() and "approximate" in opus.line()
    with pytest.raises(UserError, match="quick, standard, long"):
        plan_for("claude-opus-5-5", "huge")


def test_compare_runs_again_over_http2_and_says_when_only_the_proxy_cuts():
    proc, report = stress("--lab", "clean", "--compare")
    assert proc.returncode == 0, proc.stderr
    d = next(r for r in report["results"] if r["probe"] == "stream")["data"]
    assert set(d["compare"]) == {"http2"}  # no proxy in use: no direct run
    assert d["compare"]["http2"]["outcome"] == "completed"
    assert d["compare"]["http2"]["http_version"] == "HTTP/1.1"  # the lab offers only HTTP/1.1 (ALPN)

    from streamdoctor.diagnosis import diagnose
    from streamdoctor.model import ProbeResult, Status

    cut = {"outcome": "closed", "total_s": 60.4, "silence_before_end_s": 60.0, "bytes": 500, "exception_chain": [],
           "compare": {"direct": {"outcome": "completed", "total_s": 95.0}}}
    causes = {f.cause for f in diagnose([ProbeResult("stream", Status.FAIL, "", cut)]).findings}
    assert "proxy-cuts-stream" in causes


def test_a_slow_first_byte_is_held_against_claude_codes_own_limit():
    from streamdoctor.diagnosis import diagnose
    from streamdoctor.model import ProbeResult, Severity, Status

    stream = ProbeResult("stream", Status.OK, "", {
        "outcome": "completed", "time_to_first_byte_s": 5.0, "total_s": 9.0, "largest_burst_share": 0.1,
        "text_events": 100, "limits": {"slow_first_byte_s": 2.0}, "exception_chain": []})
    alone = {f.cause: f for f in diagnose([stream]).findings}["slow-first-byte"]
    assert alone.severity is Severity.WARNING and "gives up" not in alone.plain
    clients = ProbeResult("env.clients", Status.OK, "", {"claude_code": {
        "installed": True, "env": {"CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS": "6000"}}})
    mine = {f.cause: f for f in diagnose([stream, clients]).findings}["slow-first-byte"]
    assert mine.severity is Severity.PROBLEM
    assert "gives up after 6 s (CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS)" in mine.plain
