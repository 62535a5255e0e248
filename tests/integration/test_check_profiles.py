"""`streamdoctor check --lab PROFILE` names each profile's failure, with the measured number, and the clean
lab is healthy. Bad input gives one line and exit 2, never a traceback."""

import argparse
import io
import json
import os
import subprocess
import sys

import pytest

from streamdoctor.cancel import CancelToken
from streamdoctor.cli import run_check
from streamdoctor.lab import PROFILES, LabRuntime
from streamdoctor.lab.profiles import LabProfile
from streamdoctor.lab.server import ServerBehaviour
from streamdoctor.probes import ProbeContext
from streamdoctor.probes.stream import StreamProbe


def check_json(profile: str) -> tuple[int, dict]:
    out = io.StringIO()
    args = argparse.Namespace(lab=profile, base_url=None, json=True, quick=False, model=None)  # runs stress + idle
    code = run_check(args, out)
    return code, json.loads(out.getvalue())


EXPECTED_NUMBER = {  # the number each verdict must quote, as it appears in the plain sentence
    "idle-reset": "3 s", "idle-fin": "3 s", "idle-drop": "3 s", "slow-first-byte": "5.", "rate-limited": "429",
    "overloaded": "529", "buffering": "%", "midstream-reset": "KB", "sse-error": "overloaded_error",
}


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_each_profile_gets_its_own_verdict(name):
    profile = PROFILES[name]
    code, report = check_json(name)
    causes = [f["cause"] for f in report["verdict"]["findings"]]
    if name == "clean":
        assert code == 0, report["verdict"]
        assert causes == []
        assert report["verdict"]["overall"] == "healthy"
    elif name == "garbage":
        assert code == 2
        assert "text/html" in report["verdict"]["headline"]
    else:
        assert code == 1, report["verdict"]
        assert causes[0] == profile.expect, causes
        assert EXPECTED_NUMBER[name] in report["verdict"]["findings"][0]["plain"]
        assert report["verdict"]["findings"][0]["failure_mode"] == profile.failure_mode


def test_idle_cut_is_measured_not_assumed():
    code, report = check_json("idle-reset")
    stream = next(r for r in report["results"] if r["probe"] == "stream")["data"]
    assert stream["outcome"] == "reset"
    assert 2.5 <= stream["silence_before_end_s"] <= 4.0  # the profile cuts after 3 s of silence


def test_stream_probe_sees_the_pings_the_sdk_drops():
    profile = LabProfile("pings", "", ServerBehaviour(ttft_s=1.0, ping_interval_s=0.2, max_deltas=3))
    with LabRuntime(profile) as lab:
        ctx = ProbeContext(base_url=lab.url, api_key="sk-ant-lab-demo")
        result = StreamProbe().run(ctx, lambda p: None, CancelToken())
    assert result.data["outcome"] == "completed"
    assert result.data["pings"] >= 4  # one at the start, then one every 0.2 s of a 1 s think
    assert result.data["text_events"] == 3


def test_stream_probe_cancel_closes_a_stalled_stream():
    import threading

    profile = LabProfile("think", "", ServerBehaviour(ttft_s=600))
    with LabRuntime(profile) as lab:
        cancel = CancelToken()
        threading.Timer(0.5, cancel.cancel).start()
        ctx = ProbeContext(base_url=lab.url, api_key="sk-ant-lab-demo", stall_timeout_s=900)
        result = StreamProbe().run(ctx, lambda p: None, cancel)
    assert result.data["outcome"] == "cancelled"
    assert result.data["total_s"] < 60  # returned long before the 600 s think or the 900 s stall limit


def run_cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "streamdoctor", *args], capture_output=True, text=True,
                          timeout=60, env=env)


@pytest.mark.parametrize(("args", "message"), [
    (["check", "--lab", "nope"], "unknown lab profile 'nope'"),
    (["check", "--base-url", "htp:/broken"], "not a usable URL"),
    (["check", "--base-url", "https://host:99999"], "not a usable URL"),
    (["lab", "serve", "--profile", "does-not-exist"], "streamdoctor lab list"),
])
def test_bad_input_is_one_line_and_exit_2(args, message):
    proc = run_cli(*args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1


def test_port_in_use_is_one_line():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = run_cli("lab", "serve", "--port", str(port))
    assert proc.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_refused_key_says_so_and_exits_2():
    # Against the lab served as a real endpoint: `--lab` itself always sends the lab's own key (issue 14 item 1).
    from streamdoctor.lab import LabRuntime, get_profile

    with LabRuntime(get_profile("clean")) as lab:
        proc = run_cli("stress", "--base-url", lab.url, "--yes", env_extra={"ANTHROPIC_API_KEY": "sk-ant-lab-refused"})
    assert proc.returncode == 2
    assert "API key was refused" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_no_api_key_skips_the_stream_and_says_untested():
    proc = run_cli("check", "--base-url", "http://127.0.0.1:9", env_extra={"ANTHROPIC_API_KEY": ""})
    # The key-free network checks still run: nothing listens on port 9, so they report that (exit 1).
    assert proc.returncode == 1
    assert "No API key" in proc.stdout
    assert "127.0.0.1:9 refused the connection" in proc.stdout


def test_lab_list_names_every_profile():
    proc = run_cli("lab", "list")
    assert proc.returncode == 0
    for name, profile in PROFILES.items():
        assert f"{name}" in proc.stdout and profile.description in proc.stdout


def test_lab_serve_prints_its_url_and_serves():
    import anthropic

    proc = subprocess.Popen([sys.executable, "-m", "streamdoctor", "lab", "serve", "--profile", "clean"],
                            stdout=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        url = first.split(" at ")[1].strip()
        c = anthropic.Anthropic(api_key="x", base_url=url)
        assert c.messages.create(model="m", max_tokens=2, messages=[{"role": "user", "content": "x"}]).content
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
