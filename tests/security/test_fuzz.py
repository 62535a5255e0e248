"""Issue 14's general fuzz suite, kept in the test run: hypothesis over report.json loading, proxy strings, PAC
strings and URLs, SSE and HTTP bytes served from a loopback server to the real probes, and CLI arguments.

Each suite is bounded (max_examples and a deadline-free but small per-case cost, < 20 s each on this machine);
the case counts are in the closing note. Invariants: never an exception that is not a one-line UserError, never
a traceback, exit codes only 0, 1, 2, a probe always returns a result whose outcome is one the rules know.
"""

from __future__ import annotations

import json
import os
import socket
import threading

import pytest
from hostile import hostile_server, read_head
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamdoctor.cancel import CancelToken
from streamdoctor.cli import load_saved_report
from streamdoctor.diagnosis import diagnose
from streamdoctor.errors import UserError
from streamdoctor.model import Overall, Status
from streamdoctor.platform.pac import fetch_pac
from streamdoctor.platform.parse_proxy import (
    env_proxy_for,
    normalise_proxy,
    pac_first_choice,
    parse_kioslaverc,
    parse_pac_result,
    redact_proxy,
)
from streamdoctor.probes import stream as sp
from streamdoctor.probes.base import ProbeContext, no_progress
from streamdoctor.probes.http import request
from streamdoctor.probes.netpath import redact_url
from streamdoctor.protocol import sse

FAST = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
OUTCOMES = {sp.COMPLETED, sp.RESET, sp.CLOSED, sp.STALLED, sp.FIRST_BYTE_TIMEOUT, sp.HTTP_ERROR, sp.SSE_ERROR,
            sp.NOT_API, sp.CONNECT_FAILED, sp.KEEPALIVE_ONLY, sp.BAD_DATA, sp.BUDGET_EXCEEDED}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids, max_size=4),
    max_leaves=30,
)
REPORT_KEYS = ["schema_version", "verdict", "results", "target", "app_version", "created_at", "overall", "headline",
               "findings", "probe", "status", "summary", "data", "evidence"]


def report_like():
    """Dicts shaped a bit like a report (its real keys, wrong types), and arbitrary JSON."""
    keyed = st.dictionaries(st.sampled_from(REPORT_KEYS), json_values, max_size=8)
    return keyed | json_values | st.just({"schema_version": 1, "verdict": {}, "results": [{}]})


# --- report.json loading -----------------------------------------------------------------------------------


@settings(FAST, max_examples=300)
@given(doc=report_like())
def test_fuzz_report_loading_gives_a_report_or_one_line(tmp_path, doc):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))
    try:
        load_saved_report(str(path))
    except UserError as exc:
        assert "\n" not in str(exc)


@settings(FAST, max_examples=100)
@given(raw=st.binary(max_size=400))
def test_fuzz_report_loading_raw_bytes(tmp_path, raw):
    path = tmp_path / "r.json"
    path.write_bytes(raw)
    try:
        load_saved_report(str(path))
    except UserError as exc:
        assert "\n" not in str(exc)


# --- proxy strings and PAC strings / URLs ------------------------------------------------------------------

proxy_text = st.one_of(
    st.text(max_size=80),
    st.builds(lambda s, u, p, h, port: f"{s}://{u}:{p}@{h}:{port}", st.sampled_from(["http", "https", "socks5", "x"]),
              st.text(max_size=8), st.text(max_size=12), st.text(max_size=15), st.text(max_size=6)),
)


@settings(FAST, max_examples=400)
@given(proxy=proxy_text, no_proxy=st.text(max_size=40),
       url=st.sampled_from(["https://api.anthropic.com", "http://127.0.0.1:8080", "https://[::1]/"]))
def test_fuzz_proxy_strings(proxy, no_proxy, url):
    for env in ({"HTTPS_PROXY": proxy, "NO_PROXY": no_proxy}, {"all_proxy": proxy, "no_proxy": no_proxy}):
        chosen, why = env_proxy_for(url, env)
        assert chosen is None or isinstance(chosen, str)
        assert isinstance(why, str)
    normalise_proxy(proxy)
    for shown in (redact_proxy(proxy), redact_url(proxy)):
        assert shown is None or isinstance(shown, str)


@settings(FAST, max_examples=300)
@given(result=st.text(max_size=120) | st.lists(
    st.sampled_from(["PROXY a:1", "DIRECT", "SOCKS5 b:2", "HTTPS c:3", "PROXY", ";", " ", "proxy x"]),
    max_size=6).map("; ".join))
def test_fuzz_pac_results(result):
    pairs = parse_pac_result(result)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in pairs)
    first, direct_ok = pac_first_choice(result)
    assert first is None or isinstance(first, str)
    assert isinstance(direct_ok, bool)


@settings(FAST, max_examples=150)
@given(text=st.text(max_size=300), script=st.text(max_size=60))
def test_fuzz_kioslaverc(text, script):
    parse_kioslaverc(text, {})
    parse_kioslaverc(f"[Proxy Settings]\nProxyType=2\nProxy Config Script={script}\n{text}", {})


@settings(FAST, max_examples=60)
@given(path=st.text(st.characters(blacklist_categories=("Cs",)), max_size=30),
       query=st.text(max_size=20), scheme=st.sampled_from(["http", "https", "file", "ftp", "", "HTTP", "data"]))
def test_fuzz_pac_urls_never_raise_and_stay_on_loopback(path, query, scheme):
    # Only loopback: a closed port (9) on 127.0.0.1, or a file under a name that does not exist.
    url = f"{scheme}://127.0.0.1:9/{path}?{query}" if scheme else f"/nonexistent-streamdoctor/{path}"
    text, error = fetch_pac(url, timeout_s=0.5)
    assert (text is None) != (error is None)
    assert error is None or error.startswith("could not read")


# --- SSE and HTTP bytes from a loopback server to the real probes ------------------------------------------

SSE_PIECES = [sse.message_start("m", "x", 1), sse.ping(), sse.content_block_start(), sse.text_delta("hi"),
              sse.content_block_stop(), sse.message_delta(2), sse.message_stop(), sse.error("overloaded_error", "x"),
              b"data: []\n\n", b": comment\n\n", b"event: x\n", b"data: {\n\n", b"\r\n", b"\xff\xfe\n\n",
              b"event: content_block_delta\ndata: {\"type\":\"content_block_delta\"}\n\n"]


class Served:
    """One loopback server for a whole suite; each example swaps in the bytes it serves (threads read it)."""

    def __init__(self) -> None:
        self.payload = b""
        self.lock = threading.Lock()

    def handler(self, conn: socket.socket, stop: threading.Event) -> None:
        read_head(conn)
        with self.lock:
            data = self.payload
        conn.sendall(data)


@pytest.fixture(scope="module")
def served():
    s = Served()
    with hostile_server(s.handler) as port:
        yield s, port


def _ctx(port: int) -> ProbeContext:
    return ProbeContext(base_url=f"http://127.0.0.1:{port}", api_key="sk-ant-lab-demo", first_byte_timeout_s=1.0,
                        stall_timeout_s=1.0, connect_timeout_s=1.0, options={"sdk_retry_check": False})


@settings(FAST, max_examples=40)
@given(pieces=st.lists(st.sampled_from(SSE_PIECES) | st.binary(max_size=40), max_size=12),
       head=st.sampled_from([b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n",
                             b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n",
                             b"HTTP/1.1 529 x\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n",
                             b"HTTP/1.0 200\r\n\r\n", b""]))
def test_fuzz_sse_bytes_to_the_stream_probe(served, pieces, head):
    s, port = served
    body = b"".join(pieces)
    s.payload = head + body
    result = sp.StreamProbe().run(_ctx(port), no_progress, CancelToken())
    assert result.data["outcome"] in OUTCOMES
    verdict = diagnose([result], f"http://127.0.0.1:{port}")
    if verdict.overall is Overall.HEALTHY:
        assert result.status is Status.OK and b"message_stop" in body
    for f in verdict.findings:  # malformed data is never blamed on antivirus or the API
        if result.data["outcome"] == sp.BAD_DATA:
            assert "antivirus" not in f.plain and "The API itself" not in f.plain


@settings(FAST, max_examples=80)
@given(raw=st.binary(max_size=300) | st.builds(
    lambda status, headers, body: b"HTTP/1.1 " + status + b"\r\n" + headers + b"\r\n" + body,
    st.sampled_from([b"200 OK", b"401 Unauthorized", b"407 x", b"302 Found", b"999", b"abc", b""]),
    st.lists(st.sampled_from([b"content-type: application/json\r\n", b"content-length: 5\r\n",
                              b"content-length: -1\r\n", b"transfer-encoding: chunked\r\n", b"location: //x\r\n",
                              b"via: 1.1 squid\r\n", b"bad header\r\n", b"set-cookie: a=b\r\n"]),
             max_size=5).map(b"".join),
    st.binary(max_size=100)))
def test_fuzz_http_bytes_to_the_http_request(served, raw):
    s, port = served
    s.payload = raw
    out = request(_ctx(port), CancelToken(), "GET", f"http://127.0.0.1:{port}/v1/models", timeout=1.0)
    assert out["verdict"] in ("api", "html", "redirect", "proxy-auth", "other", "error")


# --- CLI arguments ----------------------------------------------------------------------------------------

OPTIONS = ["--base-url", "--lab", "--json", "--quick", "--model", "--ca-file", "--bundle", "--probe-option",
           "--allow-plain-http", "--size", "--yes", "--max", "--from", "--out", "--report", "--pseudonymize-hosts",
           "--keep-user-name", "--compare", "--no-verify", "-v", "--version", "--help"]
COMMANDS = [["check"], ["idle"], ["stress"], ["bundle"], ["fix", "show"], ["fix", "apply"], ["fix", "undo"],
            ["fix", "list"], ["lab", "list"], ["lab"], ["fix"], ["nonsense"]]
values = st.sampled_from(["", "0", "-1", "1e9", "nan", "clean", "nope", "x=1", "stall_timeout_s=-3",
                          "https://" + "a" * 64 + ".example.com", "http://256.0.0.1", "https://a b",
                          "https://x.example:0", "/dev/zero", "/nonexistent", ".", "env-proxy", "quick"]) | st.text(
    max_size=15)


@pytest.fixture(scope="module")
def no_network(tmp_path_factory):
    """CLI fuzzing must never reach a network: the probe runner returns at once with no results (so only
    argument handling, validation and output are exercised), and every home points at a temporary folder."""
    import streamdoctor.runner as runner

    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("home")
    mp.setattr(runner, "run_probes", lambda *a, **k: [])
    for var in ("STREAMDOCTOR_HOME", "HOME", "CLAUDE_CONFIG_DIR"):
        mp.setenv(var, str(home))
    for var in list(os.environ):
        if var.upper().endswith("_PROXY") or var.startswith("ANTHROPIC_"):
            mp.delenv(var)
    mp.chdir(home)
    yield
    mp.undo()


@settings(FAST, max_examples=250)
@given(command=st.sampled_from(COMMANDS),
       rest=st.lists(st.sampled_from(OPTIONS) | values, max_size=6))
def test_fuzz_cli_arguments(no_network, capsys, command, rest):
    from streamdoctor.cli import main

    argv = command + rest
    if "--lab" in argv or argv[:2] == ["lab", "serve"]:
        argv = [a for a in argv if a != "--lab"]  # the lab serves until Ctrl-C / runs real probes
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: --help/--version (0) or a usage error (2)
        code = exc.code if isinstance(exc.code, int) else 2
    out = capsys.readouterr()
    assert code in (0, 1, 2), argv
    assert "Traceback" not in out.err + out.out, argv
