"""The environment scan inside a network namespace made for it: a tun device named like Cisco's (cscotun0) held
open by a process named like Cisco's agent (vpnagentd), the API host routed through it, a PAC file served on
the namespace's loopback, and proxy settings in the environment and in Claude Code's settings.json.

The scan runs in a child process inside the namespace with its own HOME, XDG_CONFIG_HOME (GNOME settings via
the keyfile backend, so the real desktop settings are never touched) and PATH (a fake `claude` that is never
run: only its package.json is read). Nothing leaves the namespace: the API host is an IP literal.
"""

from __future__ import annotations

import json
import os
import secrets
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.netlab

API_IP = "198.51.100.7"
PAC_PORT = 8099
PROXY = "http://10.88.0.1:3128"

TUN_HOLDER = r"""
import ctypes, fcntl, os, struct, sys
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454CA, struct.pack("16sH", b"cscotun0", 0x0001 | 0x1000))  # TUNSETIFF, IFF_TUN|IFF_NO_PI
ctypes.CDLL(None).prctl(15, b"vpnagentd", 0, 0, 0)  # PR_SET_NAME: look like Cisco's agent to the process scan
print("ready", flush=True)
sys.stdin.read()  # hold the device until the test closes our stdin
"""

PAC_SERVER = r"""
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
handler.log_message = lambda *a, **k: None
server = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), handler)
print("ready", flush=True)
server.serve_forever()
"""

SCAN = r"""
import json, sys
from streamdoctor.cancel import CancelToken
from streamdoctor.diagnosis import diagnose
from streamdoctor.model import to_jsonable
from streamdoctor.probes import ProbeContext, no_progress
from streamdoctor.probes.env_clients import EnvClientsProbe
from streamdoctor.probes.env_interfaces import EnvInterfacesProbe
from streamdoctor.probes.env_proxy import EnvProxyProbe
from streamdoctor.probes.env_vpn import EnvVpnProbe
from streamdoctor.runner import run_probes
ctx = ProbeContext(base_url=sys.argv[1])
probes = [EnvInterfacesProbe(), EnvVpnProbe(), EnvProxyProbe(), EnvClientsProbe()]
results = run_probes(probes, ctx, no_progress, CancelToken())
verdict = diagnose(results)
print(json.dumps({"results": {r.probe: to_jsonable(r) for r in results}, "findings": to_jsonable(verdict.findings)}))
"""

PAC = """
function FindProxyForURL(url, host) {
    if (isInNet(host, "198.51.100.0", "255.255.255.0"))
        return "PROXY 10.88.0.1:3128; PROXY backup.corp.example:8080; DIRECT";
    return "DIRECT";
}
"""


def _missing() -> str | None:
    if sys.platform != "linux":
        return "needs Linux network namespaces"
    if os.geteuid() != 0:
        return "needs root (network namespaces, tun devices)"
    if shutil.which("ip") is None:
        return "'ip' (iproute2) is not installed"
    if not os.path.exists("/dev/net/tun"):
        return "/dev/net/tun is missing (no tun support)"
    if shutil.which("gsettings") is None:
        return "'gsettings' is not installed (libglib2.0-bin; scripts/bootstrap.sh test installs it)"
    return None


def _ip(*args: str) -> None:
    proc = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20)
    if proc.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed: {proc.stderr.strip()}")


def _wait_ready(proc: subprocess.Popen[str], what: str, timeout_s: float = 15.0) -> None:
    assert proc.stdout is not None
    readable, _, _ = select.select([proc.stdout], [], [], timeout_s)
    line = proc.stdout.readline() if readable else ""
    if line.strip() != "ready":
        proc.kill()
        raise RuntimeError(f"{what} did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")


@dataclass
class EnvLab:
    ns: str
    home: Path

    def scan(self, extra_env: dict[str, str] | None = None) -> dict[str, Any]:
        env = {
            "HOME": str(self.home), "XDG_CONFIG_HOME": str(self.home / ".config"), "GSETTINGS_BACKEND": "keyfile",
            "PATH": f"{self.home / 'bin'}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"), "LANG": "C.UTF-8",
            **(extra_env or {}),
        }
        proc = subprocess.run(["ip", "netns", "exec", self.ns, sys.executable, "-c", SCAN, f"https://{API_IP}"],
                              capture_output=True, text=True, timeout=60, env=env, cwd=self.home)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def env_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EnvLab]:
    reason = _missing()
    if reason:
        pytest.skip(f"netlab: {reason}")
    ns = f"sdenv-{os.getpid()}-{secrets.token_hex(2)}"
    home = tmp_path_factory.mktemp("sdenv-home")
    (home / "pac").mkdir()
    (home / "pac" / "proxy.pac").write_text(PAC)
    keyfile = home / ".config" / "glib-2.0" / "settings" / "keyfile"
    keyfile.parent.mkdir(parents=True)
    keyfile.write_text(f"[system/proxy]\nmode='auto'\nautoconfig-url='http://127.0.0.1:{PAC_PORT}/proxy.pac'\n")
    pkg = home / "lib" / "node_modules" / "@anthropic-ai" / "claude-code"
    pkg.mkdir(parents=True)
    (pkg / "package.json").write_text('{"name": "@anthropic-ai/claude-code", "version": "2.0.14"}')
    (pkg / "cli.js").write_text("#!/bin/sh\necho 'the scan must never run claude' >&2\nexit 99\n")
    (pkg / "cli.js").chmod(0o755)
    (home / "bin").mkdir()
    (home / "bin" / "claude").symlink_to(pkg / "cli.js")
    helpers: list[subprocess.Popen[str]] = []
    _ip("netns", "add", ns)
    try:
        _ip("-n", ns, "link", "set", "lo", "up")
        holder = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", TUN_HOLDER], text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        helpers.append(holder)
        _wait_ready(holder, "the tun holder")
        _ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0peer")  # the "LAN" uplink
        _ip("-n", ns, "addr", "add", "10.88.0.2/24", "dev", "eth0")
        _ip("-n", ns, "link", "set", "eth0peer", "up")
        _ip("-n", ns, "link", "set", "eth0", "up")
        _ip("-n", ns, "addr", "add", "10.77.0.2/24", "dev", "cscotun0")
        _ip("-n", ns, "link", "set", "cscotun0", "up", "mtu", "1390")
        _ip("-n", ns, "route", "add", "default", "via", "10.88.0.1", "dev", "eth0")
        _ip("-n", ns, "route", "add", "198.51.100.0/24", "dev", "cscotun0")  # split tunnel: only the API
        pac = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", PAC_SERVER, str(home / "pac"),
                                str(PAC_PORT)], text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        helpers.append(pac)
        _wait_ready(pac, "the PAC server")
        yield EnvLab(ns, home)
    finally:
        for proc in helpers:
            if proc.stdin:
                proc.stdin.close()
            proc.kill()
            proc.wait(10)
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=20)


def test_pac_says_proxy_clients_go_direct_through_a_split_tunnel(env_lab: EnvLab) -> None:
    out = env_lab.scan()
    res = out["results"]
    route = res["env.interfaces"]["data"]["route"]
    assert (route["interface"], route["mtu"], route["local_address"]) == ("cscotun0", 1390, "10.77.0.2")
    vpn = res["env.vpn"]["data"]
    assert vpn["api_via_tunnel"] is True and vpn["tunnel_interface"] == "cscotun0"
    assert vpn["default_via_tunnel"] is False and vpn["tunnel_mode"].startswith("split")
    cisco = next(a for a in vpn["agents"] if a["vendor"] == "Cisco")
    assert cisco["processes"] == ["vpnagentd"] and cisco["interfaces"] == ["cscotun0"]

    proxy = res["env.proxy"]["data"]
    assert proxy["system"]["proxy"] == PROXY
    assert proxy["system"]["pac_result"] == "PROXY 10.88.0.1:3128; PROXY backup.corp.example:8080; DIRECT"
    assert proxy["system"]["mode"] == "pac" and "gsettings" in proxy["system"]["source"]
    assert {c: v["proxy"] for c, v in proxy["clients"].items()} == {
        "python-sdk": None, "claude-code": None, "node-sdk": None}
    assert "isInNet" in proxy["raw"]["pac file"]

    claude = res["env.clients"]["data"]["claude_code"]
    assert claude["installed"] and claude["version"] == "2.0.14"

    findings = {f["rule"]: f for f in out["findings"]}
    mismatch = findings["env.proxy-mismatch"]
    assert mismatch["failure_mode"] == 6 and mismatch["fix_ids"] == ["env-proxy", "claude-code-proxy"]
    assert PROXY in mismatch["plain"]
    tunnel = findings["env.vpn-tunnel"]
    assert tunnel["severity"] == "info" and "cscotun0" in tunnel["plain"] and "MTU 1390" in tunnel["plain"]


def test_proxy_in_env_and_settings_through_a_full_tunnel(env_lab: EnvLab) -> None:
    settings = env_lab.home / ".claude" / "settings.json"
    settings.parent.mkdir(exist_ok=True)
    settings.write_text(json.dumps({"env": {"HTTPS_PROXY": "http://cc:secret@10.88.0.1:3128",
                                            "API_TIMEOUT_MS": "900000"}}))
    _ip("-n", env_lab.ns, "route", "replace", "default", "dev", "cscotun0")
    try:
        out = env_lab.scan({"HTTPS_PROXY": PROXY, "NO_PROXY": "localhost,127.0.0.1"})
    finally:
        _ip("-n", env_lab.ns, "route", "replace", "default", "via", "10.88.0.1", "dev", "eth0")
        settings.unlink()
    res = out["results"]
    vpn = res["env.vpn"]["data"]
    assert vpn["api_via_tunnel"] is True and vpn["default_via_tunnel"] is True and vpn["tunnel_mode"] == "full"
    clients = res["env.proxy"]["data"]["clients"]
    assert clients["python-sdk"]["proxy"] == PROXY
    assert clients["claude-code"]["proxy"] == "http://cc:secret@10.88.0.1:3128"
    assert "user settings" in clients["claude-code"]["source"]
    assert res["env.clients"]["data"]["claude_code"]["env"] == {
        "HTTPS_PROXY": "http://cc:***@10.88.0.1:3128", "API_TIMEOUT_MS": "900000"}
    rules = {f["rule"]: f for f in out["findings"]}
    assert "env.proxy-mismatch" not in rules  # the clients now take the proxy the PAC names
    assert "full tunnel" in rules["env.vpn-tunnel"]["plain"]
