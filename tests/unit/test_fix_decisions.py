"""What the fixes decide from the measurements (pure functions on recorded-shape reports)."""

from __future__ import annotations

import pytest
from fixreports import report

from streamdoctor.fixes.mtu import FALLBACK_MTU, mtu_target
from streamdoctor.fixes.nginx import read_timeout_for
from streamdoctor.fixes.sdk_snippet import render_python, render_typescript, snippet_params

ROUTE = {"env.interfaces": {"interfaces": [], "route": {"interface": "wlp2s0", "mtu": 1500}}}


@pytest.mark.parametrize(("mtu", "expected"), [
    ({"path_mtu": 1400, "interface_mtu": 1500, "black_hole": True}, ("wlp2s0", 1400)),
    ({"path_mtu": 1412, "interface_mtu": 1500, "black_hole": None}, ("wlp2s0", 1412)),  # measured, not 1400
    ({"path_mtu": None, "interface_mtu": 1500, "black_hole": True}, ("wlp2s0", FALLBACK_MTU)),
    ({"path_mtu": 1400, "interface_mtu": 1500, "black_hole": False}, (None, None)),  # PMTUD works: leave it
    ({"path_mtu": 1500, "interface_mtu": 1500, "black_hole": None}, (None, None)),
])
def test_mtu_uses_the_measured_path_mtu_on_the_route_interface(mtu, expected):
    iface, value, why = mtu_target(report({**ROUTE, "mtu": {"interface": "eth9", **mtu}}))
    assert (iface, value) == expected
    assert why


def test_mtu_without_a_known_route_interface_uses_the_probe_interface_or_nothing():
    assert mtu_target(report({"mtu": {"interface": "eth9", "path_mtu": 1400, "interface_mtu": 1500}}))[:2] == \
        ("eth9", 1400)
    assert mtu_target(report({"mtu": {"path_mtu": 1400, "interface_mtu": 1500}}))[:2] == (None, None)


def test_keepalive_only_for_a_reset_from_a_box_reached_directly():
    nat = report({"idle": {"cut_s": 30.0, "ending": "reset"}})
    p = snippet_params(nat)
    assert p.keepalive_idle_s == 15 and "below the measured cut of 30 s" in p.keepalive_why
    proxy = report({"idle": {"cut_s": 30.0, "ending": "reset"},
                    "env.proxy": {"clients": {"python-sdk": {"proxy": "http://proxy:8080"}}}})
    assert snippet_params(proxy).keepalive_idle_s is None and "a proxy" in snippet_params(proxy).keepalive_why
    inspected = report({"idle": {"cut_s": 30.0, "ending": "reset"}, "tls": {"inspected": True}})
    assert snippet_params(inspected).keepalive_idle_s is None
    fin = report({"idle": {"cut_s": 290.0, "ending": "fin"}})
    assert snippet_params(fin).keepalive_idle_s is None and "(fin)" in snippet_params(fin).keepalive_why
    from_stream = report({"stream": {"outcome": "reset", "silence_before_end_s": 62.0}})
    assert snippet_params(from_stream).keepalive_idle_s == 31
    assert "KEEPALIVE_IDLE_S: int | None = 31" in render_python(snippet_params(from_stream))
    assert "keepAliveInitialDelay: KEEPALIVE_INITIAL_DELAY_MS!" in render_typescript(snippet_params(from_stream))


def test_timeouts_follow_the_slowest_first_byte_but_never_drop_below_600_s():
    assert snippet_params(report({"stream": {"time_to_first_byte_s": 250.0}})).timeout_s == 750
    assert snippet_params(report({})).timeout_s == 600
    assert read_timeout_for(report({"stream": {"time_to_first_byte_s": 2.0, "max_gap_s": 400.0}})) == 800
    assert read_timeout_for(report({})) == 600
