"""Scenario 4: real nginx as a reverse proxy in front of the lab API: buffering, read timeouts, the fix."""

from __future__ import annotations

import re
import time

import pytest

import netlab

pytestmark = pytest.mark.netlab

GZIP = "accept-encoding: gzip\r\n"  # what the SDK's httpx2 client sends too


def _stream(sc: netlab.NginxScenario, timeout: float = 10.0, headers: str = GZIP) -> netlab.Arrivals:
    conn = sc.connect(sc.server_ip, netlab.NGINX_PORT)
    try:
        conn.sendall(netlab.messages_request(f"{sc.server_ip}:{netlab.NGINX_PORT}", max_tokens=200,
                                             extra_headers=headers))
        return netlab.read_arrivals(conn, timeout)
    finally:
        conn.close()


def test_buffering_gzip_sends_one_lump_and_the_fixed_config_streams(netlab_nginx) -> None:
    sc = netlab_nginx(buffering=True, gzip=True)
    lump = _stream(sc)
    assert lump.status() == 200 and lump.ending == "fin"
    assert lump.burst_share() >= 0.9

    # Same config without gzip: nginx 1.22 passes the events through although proxy_buffering is on.
    conf = sc.nginx_conf.read_text()
    sc.nginx_conf.write_text(re.sub(r"\n *gzip[^\n]*;", "", conf))
    sc.reload()
    plain = _stream(sc)
    assert plain.status() == 200 and len(plain.chunks) > 50 and plain.burst_share() < 0.5

    # The fixes engineer's path: patch the config (the article's fix), reload, stream arrives word by word.
    sc.nginx_conf.write_text(conf.replace(
        "proxy_read_timeout 3s;",
        'proxy_buffering off; proxy_cache off; proxy_http_version 1.1; proxy_set_header Connection ""; '
        "proxy_read_timeout 600s;"))
    sc.reload()
    fixed = _stream(sc)
    assert fixed.status() == 200 and len(fixed.chunks) > 50 and fixed.burst_share() < 0.5
    netlab.record("nginx burst share (largest 0.1 s share of bytes)",
                  f"buffering+gzip {lump.burst_share():.2f} in {len(lump.chunks)} reads; buffering alone "
                  f"{plain.burst_share():.2f} in {len(plain.chunks)} reads; fixed+gzip {fixed.burst_share():.2f} "
                  f"in {len(fixed.chunks)} reads")


def test_broken_config_answers_504_after_the_read_timeout(netlab_nginx) -> None:
    sc = netlab_nginx(buffering=True, read_timeout_s=2, header_delay_s=5)
    t0 = time.monotonic()
    got = _stream(sc, headers="")
    elapsed = time.monotonic() - t0
    assert got.status() == 504
    assert elapsed < 4.5  # nginx gave up at its 2 s read timeout, long before the 5 s answer
    assert "upstream timed out" in sc.error_log.read_text()
    netlab.record("nginx 504", f"after {elapsed:.2f} s (proxy_read_timeout 2 s, headers held 5 s)")


def test_broken_config_cuts_a_silent_stream_at_the_read_timeout(netlab_nginx) -> None:
    sc = netlab_nginx(buffering=True, read_timeout_s=2, think_s=5)
    got = _stream(sc, headers="")
    assert got.status() == 200 and b"message_start" in got.data
    assert got.ending == "fin" and not got.data.endswith(b"0\r\n\r\n")  # closed without the last chunk
    cut_at = time.monotonic() - got.t0
    assert 1.5 < cut_at < 4.5
    netlab.record("nginx silent stream", f"closed (FIN, no last chunk) {cut_at:.2f} s after the request "
                  "(proxy_read_timeout 2 s, think 5 s)")


def test_product_sees_the_buffering(netlab_nginx) -> None:
    sc = netlab_nginx(buffering=True, gzip=True)
    proc, report = sc.check(netlab.check_args(idle_max_s=2))
    found = netlab.findings(report)
    assert proc.returncode == 1
    assert "buffering" in found, list(found)
    stream = netlab.probe_result(report, "stream")["data"]
    assert stream["outcome"] == "completed" and stream["largest_burst_share"] >= 0.8
    netlab.record("product, nginx buffering+gzip", f"stream burst share {stream['largest_burst_share']}")


def test_product_sees_the_read_timeout(netlab_nginx) -> None:
    """(The fixes' own netlab test checks that the fixed config then passes the product's check.)"""
    broken = netlab_nginx(buffering=True, read_timeout_s=3, think_s=6)
    proc, report = broken.check(netlab.check_args(idle_max_s=4, stall_s=8))
    found = netlab.findings(report)
    assert proc.returncode == 1
    assert "idle-close" in found, list(found)  # the stream was closed after ~3 s of silence
    assert "proxy-read-timeout" in found, list(found)  # the in-flight idle test got nginx's 504
    stream = netlab.probe_result(report, "stream")["data"]
    assert stream["outcome"] == "closed" and stream["silence_before_end_s"] == pytest.approx(3, abs=1)
    netlab.record("product, nginx read timeout 3 s + think 6 s", f"stream closed after "
                  f"{stream['silence_before_end_s']:.1f} s silence; findings {sorted(found)}")
