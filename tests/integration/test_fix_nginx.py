"""nginx-streaming for real: our own nginx on loopback (its own prefix, foreground) in front of the in-process lab.

A buffering config -> the check finds buffering -> the fix (preview, apply, verify by streaming again) ->
the check is clean -> undo -> the file is byte-identical and nginx buffers again.
"""

from __future__ import annotations

import shlex
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from streamdoctor.diagnosis import diagnose
from streamdoctor.fixes import get_fix, list_records
from streamdoctor.fixes.nginx import NGINX_CMD_ENV
from streamdoctor.lab import LAB_API_KEY, LAB_PROBE_LIMITS, LabProfile, LabRuntime
from streamdoctor.lab.server import ServerBehaviour
from streamdoctor.model import Report
from streamdoctor.probes.base import ProbeContext
from streamdoctor.probes.stream import StreamProbe
from streamdoctor.runner import run_probes

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed (nginx-light)")

# A steady answer (150 deltas, 10 ms apart): word by word it takes ~1.5 s; held back it comes in one lump.
PROFILE = LabProfile("nginx-upstream", "steady answer behind nginx",
                     ServerBehaviour(ttft_s=0.3, max_deltas=150, delta_interval_s=0.01))

CONF = """\
# A typical hand-written gateway: gzip for everything (which holds an event stream back), buffering left on
# (the default), a short read timeout.
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log notice;
events {{ worker_connections 64; }}
http {{
    access_log off;
    gzip on;
    gzip_types text/event-stream application/json;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        proxy_set_header X-Gateway "team-gw";
        location /healthz {{ return 200 "ok"; }}
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_read_timeout 3s;
        }}
    }}
}}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("nginx did not listen")


@pytest.fixture
def gateway(tmp_path, monkeypatch):
    with LabRuntime(PROFILE) as lab:
        d = tmp_path / "nginx"
        (d / "tmp").mkdir(parents=True)
        port = _free_port()
        conf = d / "nginx.conf"
        conf.write_text(CONF.format(dir=d, port=port, upstream=lab.port))
        base = [NGINX, "-p", str(d), "-c", str(conf), "-e", str(d / "error.log")]
        proc = subprocess.Popen([*base, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _wait_port(port, proc)
            monkeypatch.setenv(NGINX_CMD_ENV, shlex.join(base))
            monkeypatch.setenv("ANTHROPIC_API_KEY", LAB_API_KEY)
            yield f"http://127.0.0.1:{port}", conf, lab
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _check(url: str) -> Report:
    ctx = ProbeContext(base_url=url, api_key=LAB_API_KEY)
    for k, v in LAB_PROBE_LIMITS.items():
        if hasattr(ctx, k):
            setattr(ctx, k, v)
        else:
            ctx.options[k] = v
    results = run_probes([StreamProbe()], ctx)
    return Report(target={"base_url": url}, results=results, verdict=diagnose(results))


def test_buffering_nginx_is_fixed_verified_and_undone_byte_for_byte(gateway):
    url, conf, lab = gateway
    original = conf.read_bytes()
    before = _check(url)
    assert "buffering" in {f.cause for f in before.verdict.findings}, before.verdict.headline
    share_before = before.result("stream").data["largest_burst_share"]
    fix = get_fix("nginx-streaming")
    assert fix.applies(before)

    plan = fix.preview(before)
    assert "+            proxy_buffering off;" in plan.preview
    assert '+            proxy_set_header X-Gateway "team-gw";' in plan.preview  # inherited headers kept
    assert "proxy_read_timeout 600s;" in plan.preview  # replaces the 3 s in place
    assert conf.read_bytes() == original  # a preview changes nothing

    record_id = fix.apply(before)
    patched = conf.read_text()
    assert "proxy_buffering off;" in patched and "proxy_read_timeout 3s" not in patched
    assert "location /healthz { return 200 \"ok\"; }" in patched  # the rest untouched

    outcome = fix.verify(before, record_id)  # streams through nginx again and judges it
    assert outcome.ok, outcome.detail
    print(f"\nbefore: largest 0.1 s burst share {share_before:.2f}; verify: {outcome.detail}")
    assert share_before > 0.8

    fix.revert(record_id)
    assert conf.read_bytes() == original
    assert [r.state for r in list_records() if r.id == record_id] == ["reverted"]
    again = _check(url)
    assert "buffering" in {f.cause for f in again.verdict.findings}  # the reload after undo really happened


def test_a_patch_nginx_rejects_is_rolled_back(gateway, monkeypatch):
    url, conf, lab = gateway
    original = conf.read_bytes()
    from streamdoctor.fixes import nginx as nginx_fix
    from streamdoctor.model import Confidence, Finding, Overall, Severity, Verdict

    finding = Finding("stream.buffering", "buffering", Severity.PROBLEM, Confidence.HIGH, "t", "p")
    before = Report({"base_url": url}, [], Verdict(Overall.PROBLEM, "p", [finding]))

    monkeypatch.setattr(nginx_fix, "streaming_directives", lambda s: [("proxy_buffering", ["sideways"])])
    with pytest.raises(Exception, match="nginx rejected the change"):
        get_fix("nginx-streaming").apply(before)
    assert conf.read_bytes() == original
    assert list_records()[-1].state == "failed"
