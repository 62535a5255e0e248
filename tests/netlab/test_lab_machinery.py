"""The lab itself: a failed build leaves nothing, stale namespaces of dead runs are swept, the basic
client/router/server topology carries the product's check."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import netlab

pytestmark = pytest.mark.netlab


def test_a_failed_build_undoes_everything(netlab_session, monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[netlab.Scenario] = []

    def broken_start_lab(self: netlab.Scenario, *args: object, **kwargs: object) -> str:
        made.append(self)
        raise netlab.NetlabError("simulated failure after the namespaces were made")

    monkeypatch.setattr(netlab.Scenario, "start_lab", broken_start_lab)
    with pytest.raises(netlab.NetlabError, match="simulated"):
        netlab.build_firewall(3)
    sc = made[0]
    assert len(sc.namespaces) == 3
    assert not [n for n in netlab.list_namespaces() if n.startswith(sc.prefix)]
    assert not sc.workdir.exists()
    assert not Path(f"/etc/netns/{sc.client_ns}").exists()


def test_sweep_removes_what_a_dead_run_left(netlab_session) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    run_id = "sd" + format((int(netlab.RUN_ID[2:], 16) + 1) % 0x10000, "04x")
    stale = f"{run_id}-1c"
    netlab.REGISTRY.mkdir(parents=True, exist_ok=True)
    (netlab.REGISTRY / run_id).write_text(str(dead.pid))
    netlab.sh("ip", "netns", "add", stale)
    Path(f"/etc/netns/{stale}").mkdir(parents=True, exist_ok=True)
    try:
        swept = netlab.sweep_stale()
        assert stale in swept
        assert stale not in netlab.list_namespaces()
        assert not Path(f"/etc/netns/{stale}").exists()
        assert not (netlab.REGISTRY / run_id).exists()
        assert not [n for n in swept if n.startswith(netlab.RUN_ID)]  # our own run is alive: spared
    finally:
        if stale in netlab.list_namespaces():
            netlab.delete_namespace(stale)


def test_basic_lab_is_healthy_for_the_product(netlab_basic) -> None:
    sc = netlab_basic()
    assert sc.client_ns != sc.server_ns and len(sc.namespaces) == 3
    proc, report = sc.check(netlab.check_args(idle_max_s=2))
    assert report["verdict"]["overall"] == "healthy", report["verdict"]["headline"]
    assert proc.returncode == 0
    assert netlab.probe_result(report, "stream")["data"]["outcome"] == "completed"


def test_skip_reasons_name_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs without root: the reason a lab test skips (and, in CI, fails) must say what to do."""
    monkeypatch.setattr(netlab.os, "geteuid", lambda: 1000)
    assert "needs root" in (netlab.missing_requirement() or "")
    monkeypatch.setattr(netlab.os, "geteuid", lambda: 0)
    real_tool = netlab.tool
    monkeypatch.setattr(netlab, "tool", lambda name: None if name == "squid" else real_tool(name))
    assert "'squid' is not installed" in (netlab.missing_requirement() or "")
    with pytest.raises(pytest.skip.Exception, match="netlab: 'squid' is not installed"):
        netlab.require_netlab()
