"""The MTU fix for real, in network namespaces.

1. The privileged helper inside a namespace of our own (sdfix*, a veth pair): sets, reads back, refuses hostile
   input without touching anything, reverts.
2. The whole product in the netlab's black-hole path (client -1500- r1 -1400- r2 -1500- server, ICMP
   frag-needed dropped): the check finds the black hole, `fix apply mtu` sets the client's interface to the
   path MTU and verifies with the mtu probe, the check is clean, `fix undo mtu` puts 1500 back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.netlab

IP = "/usr/sbin/ip" if os.path.exists("/usr/sbin/ip") else "/sbin/ip"


def _sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=30, check=check)


@pytest.fixture
def fix_ns():
    if os.geteuid() != 0:
        pytest.skip("netlab: needs root for network namespaces")
    if not os.path.exists(IP):
        pytest.skip("netlab: iproute2 (ip) is not installed")
    ns = f"sdfix{os.getpid()}"
    _sh(IP, "netns", "add", ns)
    try:
        _sh(IP, "-n", ns, "link", "add", "sdfix0", "type", "veth", "peer", "name", "sdfix1")
        _sh(IP, "-n", ns, "link", "set", "sdfix0", "up", "mtu", "1500")
        yield ns
    finally:
        _sh(IP, "netns", "del", ns, check=False)


def _helper(ns: str, *args: str) -> tuple[int, dict]:
    proc = _sh(IP, "netns", "exec", ns, sys.executable, "-I", "-m", "streamdoctor.fixes.privhelper", *args, check=False)
    return proc.returncode, json.loads(proc.stdout.strip().splitlines()[-1])


def _mtu(ns: str, dev: str) -> int:
    out = _sh(IP, "-n", ns, "-j", "link", "show", "dev", dev).stdout
    return int(json.loads(out)[0]["mtu"])


def test_privileged_helper_sets_refuses_and_reverts_in_a_namespace(fix_ns):
    code, answer = _helper(fix_ns, "set-mtu", "sdfix0", "1400")
    assert code == 0, answer
    assert answer["method"] == "ip" and answer["previous_mtu"] == 1500 and answer["mtu"] == 1400
    assert _mtu(fix_ns, "sdfix0") == 1400

    for hostile in (["set-mtu", "sdfix0; ip link del sdfix1", "1300"], ["set-mtu", "../sdfix0", "1300"],
                    ["set-mtu", "sdfix\u04350", "1300"], ["set-mtu", "eth0", "1300"],  # not in this namespace
                    ["set-mtu", "sdfix0", "9001"], ["set-mtu", "sdfix0", "575"]):
        code, answer = _helper(fix_ns, *hostile)
        assert code == 2 and answer["refused"], hostile
    assert _mtu(fix_ns, "sdfix0") == 1400 and _mtu(fix_ns, "sdfix1") == 1500  # nothing was touched

    code, answer = _helper(fix_ns, "revert-mtu", "sdfix0", "1500")
    assert code == 0 and _mtu(fix_ns, "sdfix0") == 1500


def test_mtu_fix_round_trip_through_the_product_on_a_black_hole(netlab_mtu):
    sc = netlab_mtu(blackhole=True)
    iface = sc.info.get("client_iface") or _client_iface(sc)
    proc, before = sc.check(["--quick"], timeout=90)
    mtu = next(r for r in before["results"] if r["probe"] == "mtu")["data"]
    assert mtu["black_hole"] is True, mtu
    assert any("mtu" in f["fix_ids"] for f in before["verdict"]["findings"])
    report_path = sc.workdir / "home" / "report.json"
    report_path.write_text(json.dumps(before))

    applied = sc.product(["fix", "apply", "mtu", "--report", str(report_path), "--yes"], timeout=90)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "Verified" in applied.stdout
    print("\n" + "\n".join(line for line in applied.stdout.splitlines() if line.startswith(("Sets", "Verified"))))
    assert _mtu(sc.client_ns, iface) == 1400
    # "Verified" above means the re-run mtu probe no longer sees the black hole (a 256 KB request now passes).

    undone = sc.product(["fix", "undo", "mtu"], timeout=60)
    assert undone.returncode == 0, undone.stderr
    assert _mtu(sc.client_ns, iface) == 1500


def _client_iface(sc) -> str:
    out = _sh(IP, "-n", sc.client_ns, "-j", "route", "get", sc.server_ip).stdout
    return json.loads(out)[0]["dev"]
