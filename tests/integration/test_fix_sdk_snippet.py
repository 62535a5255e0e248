"""The generated Python is run for real: the resumable streaming wrapper against the lab's midstream-reset
profile (a DPI box resetting every connection 4 KB into the answer) with the real anthropic SDK."""

from __future__ import annotations

import sys
import types

import pytest

from streamdoctor.fixes.sdk_snippet import SnippetParams, render_python
from streamdoctor.lab import LAB_API_KEY, LabRuntime, get_profile
from streamdoctor.lab.server import LAB_MODELS


def _load(params: SnippetParams) -> types.ModuleType:
    module = types.ModuleType("streamdoctor_client")
    sys.modules["streamdoctor_client"] = module  # dataclasses look their module up by name
    try:
        exec(compile(render_python(params), "streamdoctor_client.py", "exec"), module.__dict__)
    finally:
        del sys.modules["streamdoctor_client"]
    return module


@pytest.fixture(scope="module")
def midstream_lab():
    with LabRuntime(get_profile("midstream-reset")) as lab:
        yield lab


@pytest.mark.parametrize("keepalive", [None, 2])
def test_wrapper_finishes_an_answer_that_is_reset_every_4_kb(midstream_lab, keepalive):
    mod = _load(SnippetParams(keepalive_idle_s=keepalive))
    client = mod.make_client(api_key=LAB_API_KEY, base_url=midstream_lab.url)
    shown: list[str] = []
    completed_before = midstream_lab.api.stats.streams_completed
    outcome = mod.stream_with_resume(client, model=LAB_MODELS[0], max_tokens=120, max_attempts=12,
                                     base_delay_s=0.01, messages=[{"role": "user", "content": "hi"}],
                                     on_text=shown.append)
    assert outcome.stop_reason == "end_turn"
    assert outcome.attempts >= 3 and outcome.resumed == outcome.attempts - 1 and outcome.restarted == 0
    assert all("ReadError" in e or "RemoteProtocolError" in e for e in outcome.errors)
    assert midstream_lab.api.stats.streams_completed == completed_before + 1  # only the last attempt finished
    assert "".join(shown) == outcome.text  # the caller saw every piece exactly once
    assert outcome.text.startswith("The quick brown fox jumps")
    # The lab does not continue a prefill (it starts its word list again), so count words per attempt:
    # together the attempts delivered exactly the 120 tokens asked for.
    assert len(outcome.text.split()) + outcome.resumed == 120


def test_plain_sdk_fails_where_the_wrapper_succeeds(midstream_lab):
    import anthropic

    client = anthropic.Anthropic(api_key=LAB_API_KEY, base_url=midstream_lab.url)
    with pytest.raises(Exception) as err, client.messages.stream(
            model=LAB_MODELS[0], max_tokens=120, messages=[{"role": "user", "content": "hi"}]) as stream:
        for _ in stream.text_stream:
            pass
    assert type(err.value).__name__ in ("ReadError", "RemoteProtocolError")  # not retried by the SDK


def test_wrapper_restarts_and_says_so_when_a_prefill_is_refused(midstream_lab, monkeypatch):
    mod = _load(SnippetParams())
    client = mod.make_client(api_key=LAB_API_KEY, base_url=midstream_lab.url)
    real_stream = client.messages.stream
    refused = []

    def refusing(**kw):  # a model that refuses prefills: the API's 400 invalid_request_error
        if kw["messages"][-1]["role"] == "assistant":
            refused.append(1)
            import httpx2

            request = httpx2.Request("POST", midstream_lab.url + "/v1/messages")
            response = httpx2.Response(400, request=request)
            raise mod.anthropic.BadRequestError("prefill not supported", response=response, body=None)
        return real_stream(**{**kw, "max_tokens": 10})  # short enough to finish inside 4 KB

    calls = {"n": 0}

    def flaky(**kw):  # the first attempt is the real, reset one; the resume is refused
        calls["n"] += 1
        return real_stream(**kw) if calls["n"] == 1 else refusing(**kw)

    monkeypatch.setattr(client.messages, "stream", flaky)
    restarts: list[str] = []
    outcome = mod.stream_with_resume(client, model=LAB_MODELS[0], max_tokens=120, base_delay_s=0.01,
                                     messages=[{"role": "user", "content": "hi"}], on_restart=restarts.append)
    assert refused and outcome.restarted == 1 and restarts == ["starting the answer over: the model does not "
                                                                "accept a prefill"]
    assert outcome.stop_reason == "end_turn"
    assert outcome.text == "The quick brown fox jumps over the lazy dog while"  # the restarted answer only


def test_generated_code_compiles_and_states_its_reasons():
    with_ka = render_python(SnippetParams(keepalive_idle_s=15, keepalive_why="keepalive every 15 s"))
    without = render_python(SnippetParams())
    compile(with_ka, "a.py", "exec")
    compile(without, "b.py", "exec")
    assert "KEEPALIVE_IDLE_S: int | None = 15" in with_ka and "KEEPALIVE_IDLE_S: int | None = None" in without


TS_STUBS = """\
declare module "@anthropic-ai/sdk" {
  namespace Anthropic {
    class APIError extends Error { status: number | undefined; }
    class APIConnectionError extends APIError {}
    type MessageParam = { role: "user" | "assistant"; content: string | unknown[] };
    interface MessageCreateParamsNonStreaming { model: string; max_tokens: number; messages: MessageParam[];
      [k: string]: unknown }
  }
  class Anthropic {
    constructor(options?: { timeout?: number; maxRetries?: number; fetchOptions?: unknown; [k: string]: unknown });
    messages: { stream(params: Anthropic.MessageCreateParamsNonStreaming): AsyncIterable<any>
      & { finalMessage(): Promise<{ stop_reason: string | null }> } };
  }
  export default Anthropic;
}
declare module "undici" { export class Agent { constructor(options?: unknown); } }
declare var process: any;
declare function setTimeout(fn: (...a: unknown[]) => void, ms: number): unknown;
"""


def test_generated_typescript_compiles_in_strict_mode(tmp_path):
    import shutil
    import subprocess

    from streamdoctor.fixes.sdk_snippet import render_typescript

    tsc = shutil.which("tsc")
    if tsc is None:
        pytest.skip("tsc is not installed (Debian package node-typescript)")
    (tmp_path / "stubs.d.ts").write_text(TS_STUBS)  # the SDK's surface the snippet uses, typed loosely
    (tmp_path / "with_keepalive.ts").write_text(render_typescript(SnippetParams(keepalive_idle_s=15)))
    (tmp_path / "without.ts").write_text(render_typescript(SnippetParams()))
    proc = subprocess.run([tsc, "--noEmit", "--strict", "--target", "es2020", "--module", "es2020",
                           "--moduleResolution", "node", "--lib", "es2020", "stubs.d.ts", "with_keepalive.ts",
                           "without.ts"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
