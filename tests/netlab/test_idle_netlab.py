"""`streamdoctor idle` against real network gear: a conntrack firewall (RST and silent drop) at two cut
values, nginx's proxy_read_timeout and squid's CONNECT tunnel read_timeout. Each must give the right verdict
and the measured number."""

from __future__ import annotations

import json
from typing import Any

import pytest

import netlab
from streamdoctor.rules.idle import num

pytestmark = pytest.mark.netlab


def tolerance(cut: float) -> float:
    return max(2.0, 0.1 * cut)


def idle(sc: netlab.Scenario, max_s: float, *extra: str, env: dict[str, str] | None = None,
         ) -> tuple[int, dict[str, Any], dict[str, Any]]:
    proc = sc.product(["idle", "--base-url", sc.api_url, "--json", "--probe-option", "idle_min_s=1",
                       "--probe-option", f"idle_max_s={max_s}", *extra], timeout=90, env=env)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError(f"no JSON report (exit {proc.returncode}): {proc.stderr[-2000:]}") from None
    return proc.returncode, report, netlab.probe_result(report, "idle")["data"]


@pytest.mark.parametrize("mode, cause, ending", [("reset", "idle-reset", "reset"), ("drop", "idle-drop", "drop")])
@pytest.mark.parametrize("cut", [4, 8])
def test_firewall_cut_is_measured(netlab_firewall, mode: str, cause: str, ending: str, cut: int) -> None:
    sc = netlab_firewall(cut, mode)
    code, report, d = idle(sc, max_s=cut * 1.6)
    found = netlab.findings(report)
    assert code == 1, report["verdict"]
    assert cause in found, list(found)
    assert d["ending"] == ending
    assert d["cut_s"] == pytest.approx(cut, abs=tolerance(cut)), d["bracket"]
    assert f"after {num(d['cut_s'])} s (±" in found[cause]["plain"]  # the verdict quotes the measured number
    # conntrack only reacts to the next packet: the cut is inferred from the ladder, not seen directly
    assert d["direct"] is False
    netlab.record(f"idle vs firewall {mode} N={cut} s",
                  f"cut {d['cut_s']} s bracket {d['bracket']} verdict after {d['time_to_verdict_s']} s "
                  f"(budget 1.2 x N + 5 = {1.2 * cut + 5:.1f} s)")


def test_nginx_read_timeout_ends_a_silent_request(netlab_nginx) -> None:
    """Idle connections to nginx survive (client_header_timeout is 60 s), but a request whose answer stays
    silent gets nginx's 504 after proxy_read_timeout: the in-flight probe sees it."""
    sc = netlab_nginx(buffering=True, read_timeout_s=3)
    code, report, d = idle(sc, max_s=6)
    found = netlab.findings(report)
    assert code == 1, report["verdict"]
    assert d["cut_s"] is None  # no idle cut
    assert d["inflight"]["http_status"] == 504
    assert d["inflight"]["idle_s"] == pytest.approx(3, abs=1.0)
    assert "proxy-read-timeout" in found, list(found)
    assert "after 3 s" in found["proxy-read-timeout"]["plain"]
    assert "nginx-streaming" in found["proxy-read-timeout"]["fix_ids"]
    netlab.record("idle vs nginx proxy_read_timeout 3 s", f"in-flight {d['inflight']}")


def test_squid_tunnel_read_timeout_closes_silent_connections(netlab_squid) -> None:
    """squid's read_timeout 5 s ends a silent CONNECT tunnel with a FIN (~6-7 s: squid's timer granularity)."""
    sc = netlab_squid(mode="tunnel", read_timeout_s=5)
    code, report, d = idle(sc, 10, "--ca-file", str(sc.ca_pem), env={"HTTPS_PROXY": sc.proxy_url})
    found = netlab.findings(report)
    assert code == 1, report["verdict"]
    assert d["proxy"] == sc.proxy_url.rstrip("/")
    assert d["ending"] in ("fin", "tls_close"), json.dumps({k: v for k, v in d.items() if k != "raw"})
    assert d["cut_s"] == pytest.approx(6.0, abs=tolerance(6.0))
    assert "idle-close" in found, list(found)
    assert "keepalive will not help" in found["idle-close"]["plain"]
    assert f"the proxy ({d['proxy']})" in found["idle-close"]["plain"]
    netlab.record("idle vs squid tunnel read_timeout 5 s", f"cut {d['cut_s']} s {d['ending']} bracket {d['bracket']}")
