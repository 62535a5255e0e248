"""Issue 14 item 3: every test has an overall time and byte budget, and a hostile server gets a clear verdict
within it. Each case is a real loopback server misbehaving on purpose (hostile.py) against the real probe.

No timed assertions: the verdict must name the budget, and pytest-timeout bounds the test if a probe hangs.
The before/after times are measured side by side by bench/bench_hostile.py.
"""

from __future__ import annotations

import json

import pytest
from hostile import drip, drip_headers, hostile_server, read_head, sse_forever, sse_head, sse_once

from streamdoctor.cancel import CancelToken
from streamdoctor.diagnosis import diagnose
from streamdoctor.model import Overall, Status
from streamdoctor.platform.pac import fetch_pac, pac_for_url
from streamdoctor.probes.base import ProbeContext, no_progress
from streamdoctor.probes.http import HTTPProbe, request
from streamdoctor.probes.mtu import large_request_test
from streamdoctor.probes.stream import StreamProbe
from streamdoctor.protocol import sse

pytestmark = pytest.mark.timeout(60)


def _ctx(port: int, **kw: object) -> ProbeContext:
    base = {"first_byte_timeout_s": 2.0, "stall_timeout_s": 2.0, "connect_timeout_s": 2.0}
    base.update(kw)  # type: ignore[arg-type]
    return ProbeContext(base_url=f"http://127.0.0.1:{port}", api_key="sk-ant-lab-demo",
                        options={"sdk_retry_check": False}, **base)  # type: ignore[arg-type]


def _stream(port: int, **kw: object) -> tuple[dict, object]:
    result = StreamProbe().run(_ctx(port, **kw), no_progress, CancelToken())
    return result.data, result


# --- PAC -----------------------------------------------------------------------------------------------------


def test_pac_headers_dripping_one_byte_a_second_end_at_the_fetch_budget():
    with hostile_server(drip_headers(1.0)) as port:
        text, error = fetch_pac(f"http://127.0.0.1:{port}/proxy.pac", timeout_s=1.5)
    assert text is None and "did not arrive within 1.5 s" in (error or "")


def test_pac_body_dripping_ends_at_the_fetch_budget():
    def handler(conn, stop):
        read_head(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/x-ns-proxy-autoconfig\r\n\r\n")
        drip(b"function FindProxyForURL(u, h) { return 'DIRECT'; }" * 100, 0.2, conn, stop)

    with hostile_server(handler) as port:
        outcome = pac_for_url(f"http://127.0.0.1:{port}/proxy.pac", "https://api.anthropic.com/",
                              fetch_timeout_s=1.0)
    assert outcome.result is None and "time budget exceeded" in (outcome.error or "")


def test_a_pac_served_normally_still_works():
    pac = b"function FindProxyForURL(url, host) { return 'PROXY 10.0.0.1:3128; DIRECT'; }"
    raw = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s" % (len(pac), pac)

    def handler(conn, stop):
        read_head(conn)
        conn.sendall(raw)

    with hostile_server(handler) as port:
        outcome = pac_for_url(f"http://127.0.0.1:{port}/proxy.pac", "https://api.anthropic.com/")
    assert outcome.error is None and outcome.result == "PROXY 10.0.0.1:3128; DIRECT"


def test_a_fifo_as_pac_file_is_refused_not_waited_on(tmp_path):
    import os

    fifo = tmp_path / "proxy.pac"
    os.mkfifo(fifo)
    text, error = fetch_pac(str(fifo))
    assert text is None and "not a regular file" in (error or "")


# --- stream (stress test) ------------------------------------------------------------------------------------


def test_endless_pings_end_with_only_keepalives_never_healthy():
    with hostile_server(sse_forever(sse.ping(), 0.05)) as port:
        d, result = _stream(port)
    assert d["outcome"] == "keepalive_only" and d["pings"] > 10
    assert "only keep-alives" in result.summary
    verdict = diagnose([result], f"http://127.0.0.1:{port}")
    assert verdict.overall is Overall.PROBLEM
    assert any(f.cause == "keepalive-only" for f in verdict.findings)


def test_endless_sse_comments_end_with_only_keepalives():
    with hostile_server(sse_forever(b": keep-alive\n\n", 0.05)) as port:
        d, result = _stream(port)
    assert d["outcome"] == "keepalive_only" and d["bytes"] > 100 and d["events"] == {}


def test_pings_after_message_start_are_still_only_keepalives():
    start = sse.message_start("msg_1", "x", 3)

    def handler(conn, stop):
        read_head(conn)
        conn.sendall(sse_head() + start)
        for _ in range(10_000):
            if stop.wait(0.05):
                return
            conn.sendall(sse.ping())

    with hostile_server(handler) as port:
        d, _ = _stream(port)
    assert d["outcome"] == "keepalive_only" and d["events"]["message_start"] == 1


def test_an_endless_answer_stops_at_the_byte_budget_with_a_budget_verdict():
    with hostile_server(sse_forever(sse.text_delta("word ") * 50, 0.0)) as port:
        ctx = _ctx(port, stall_timeout_s=30.0, first_byte_timeout_s=30.0)
        ctx.options["stream_max_bytes"] = 2 * 1024 * 1024  # scaled down from 64 MiB for the test
        result = StreamProbe().run(ctx, no_progress, CancelToken())
        d = result.data
    assert d["outcome"] == "budget_exceeded" and 2 * 1024 * 1024 < d["bytes"] < 3 * 1024 * 1024
    assert result.status is Status.ERROR and "budget" in result.summary
    assert diagnose([result], "http://127.0.0.1:1").overall is not Overall.HEALTHY


def test_an_unterminated_line_is_capped_with_a_not_the_api_verdict():
    def handler(conn, stop):
        read_head(conn)
        conn.sendall(sse_head() + b"data: ")
        chunk = b"x" * 65536
        for _ in range(200):  # 12.5 MB at most, past the 4 MiB frame cap
            if stop.is_set():
                return
            conn.sendall(chunk)

    with hostile_server(handler) as port:
        d, result = _stream(port)
    assert d["outcome"] == "bad_data" and "never ends" in d["bad_data"]
    assert d["bytes"] < 8 * 1024 * 1024  # stopped at the cap, not after the whole line


@pytest.mark.parametrize(("body", "what"), [
    (b"event: message_start\ndata: []\n\n", "list data"),
    (b"event: content_block_delta\ndata: {not json\n\n", "not JSON"),
    (b"event: content_block_delta\ndata: \"\xff\xfe\"\n\n", "UTF-8"),
    (sse.message_start("m", "x", 1) + b"event: content_block_delta\ndata: {\"type\":\"message_stop\"}\n\n",
     "carries type"),
])
def test_data_that_is_not_the_messages_api_is_said_so_not_blamed_on_the_network(body, what):
    with hostile_server(sse_once(body)) as port:
        d, result = _stream(port)
    assert d["outcome"] == "bad_data" and what in d["bad_data"]
    verdict = diagnose([result], f"http://127.0.0.1:{port}")
    causes = {f.cause for f in verdict.findings}
    assert "not-messages-api" in causes
    text = json.dumps([f.plain + f.ask_it for f in verdict.findings])
    assert "antivirus" not in text and "The API itself" not in text


def test_a_mid_stream_reset_with_no_silence_says_data_was_still_arriving():
    import socket as s
    import struct

    def handler(conn, stop):
        read_head(conn)
        conn.sendall(sse_head() + sse.message_start("m", "x", 1) + sse.text_delta("hi") * 200)
        conn.setsockopt(s.SOL_SOCKET, s.SO_LINGER, struct.pack("ii", 1, 0))  # close() sends an RST

    with hostile_server(handler) as port:
        d, result = _stream(port)
    assert d["outcome"] == "reset" and d["silence_before_end_s"] < 1.0
    assert "while data was still arriving" in result.summary


# --- HTTP and MTU -------------------------------------------------------------------------------------------


def test_http_probe_against_dripping_headers_ends_at_its_budget():
    with hostile_server(drip_headers(0.5)) as port:
        ctx = _ctx(port, connect_timeout_s=1.0)
        ctx.options["http_timeout_s"] = 2.0
        r = request(ctx, CancelToken(), "GET", f"http://127.0.0.1:{port}/v1/models")
        result = HTTPProbe().run(ctx, no_progress, CancelToken())
    assert r["kind"] == "total-timeout" and "time budget exceeded" in r["error"]
    assert result.data["h1"]["kind"] == "total-timeout"


def test_large_request_against_dripping_headers_ends_at_its_budget():
    with hostile_server(drip_headers(0.5)) as port:
        out = large_request_test(_ctx(port, connect_timeout_s=1.0), CancelToken(), 64 * 1024, timeout=2.0)
    assert out["small"]["kind"] == "total-timeout" and out["large"]["kind"] == "total-timeout"


def test_an_internal_error_mid_stream_is_never_a_network_verdict(monkeypatch):
    """A bug while reading the stream (injected here) must read "internal error", not "reset" or "closed"."""
    from streamdoctor.runner import run_probe

    def broken(self, t, event, data):
        raise KeyError("injected bug")

    monkeypatch.setattr("streamdoctor.probes.stream._Timeline.on_event", broken)
    with hostile_server(sse_once(sse.message_start("m", "x", 1) + sse.text_delta("hi"))) as port:
        result = run_probe(StreamProbe(), _ctx(port), no_progress, CancelToken())
    assert result.status is Status.ERROR and "internal error" in result.summary
    assert result.data.get("error_kind") == "internal"
    assert diagnose([result], f"http://127.0.0.1:{port}").overall is Overall.UNTESTED
