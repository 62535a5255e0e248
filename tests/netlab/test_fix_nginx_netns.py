"""nginx-streaming through the product, on the netlab's real nginx (server namespace) in front of the lab API.

The netlab's broken gateway compresses the event stream (gzip on for text/event-stream, buffering on, a 3 s
read timeout): `check` finds buffering; `fix apply nginx-streaming` (run in the client namespace; nginx is
reached through STREAMDOCTOR_NGINX_CMD = ip netns exec SERVER nginx ...) patches, tests, reloads and verifies
by streaming again; `check` is clean; `fix undo` restores the file byte for byte and buffering is back.
"""

from __future__ import annotations

import json
import shlex

import pytest

pytestmark = pytest.mark.netlab


def _causes(report: dict) -> set[str]:
    return {f["cause"] for f in report["verdict"]["findings"]}


def _stress(sc) -> dict:
    """The streaming test alone (`stress`, not part of `check --quick`), as a JSON report."""
    proc = sc.product(["stress", "--base-url", sc.api_url, "--json", "--yes"], timeout=90)
    assert proc.stdout.strip(), proc.stderr
    return json.loads(proc.stdout)


def _share(report: dict) -> float:
    return next(r for r in report["results"] if r["probe"] == "stream")["data"]["largest_burst_share"]


def test_nginx_fix_round_trip_through_the_product(netlab_nginx):
    sc = netlab_nginx(buffering=True, gzip=True)
    original = sc.nginx_conf.read_bytes()
    nginx_cmd = shlex.join(["ip", "netns", "exec", sc.server_ns,
                            *sc.nginx_argv("-g", f"pid {sc.nginx_dir}/nginx.pid;")])
    env = {"STREAMDOCTOR_NGINX_CMD": nginx_cmd}

    before = _stress(sc)
    assert "buffering" in _causes(before), before["verdict"]["headline"]
    report_path = sc.workdir / "home" / "report.json"
    report_path.write_text(json.dumps(before))

    applied = sc.product(["fix", "apply", "nginx-streaming", "--report", str(report_path), "--yes"], env=env,
                         timeout=90)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "+            gzip off;" in applied.stdout and "+            proxy_buffering off;" in applied.stdout
    assert "Verified: answers now stream through nginx word by word" in applied.stdout
    after = _stress(sc)
    assert "buffering" not in _causes(after)
    print(f"\nnetlab nginx: largest 0.1 s burst share before {_share(before):.2f}, after {_share(after):.2f}")

    undone = sc.product(["fix", "undo", "nginx-streaming"], env=env, timeout=60)
    assert undone.returncode == 0, undone.stderr
    assert sc.nginx_conf.read_bytes() == original  # (integration/test_fix_nginx.py checks buffering is back)
