"""The environment scan on this machine (real system, loopback target only) and its bad-input paths: missing
commands, unreadable settings, broken and endless PAC files, a resolver that never answers."""

from __future__ import annotations

import functools
import http.server
import io
import json
import os
import shutil
import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamdoctor import cli
from streamdoctor.cancel import CancelToken
from streamdoctor.platform.base import SystemProxy
from streamdoctor.platform.command import run_command
from streamdoctor.platform.linux import LinuxProxyReader
from streamdoctor.platform.pac import evaluate_pac, pac_for_url
from streamdoctor.probes import ProbeContext, no_progress
from streamdoctor.probes import env_clients as ec
from streamdoctor.probes import env_interfaces as ei
from streamdoctor.probes.env_clients import EnvClientsProbe
from streamdoctor.probes.env_interfaces import EnvInterfacesProbe
from streamdoctor.probes.env_proxy import EnvProxyProbe, client_choices, scan_proxies, system_answer
from streamdoctor.probes.env_vpn import EnvVpnProbe
from streamdoctor.runner import run_probes

ENV_PROBES = ("env.interfaces", "env.vpn", "env.proxy", "env.clients")
API = "https://api.anthropic.com/v1/messages"


@pytest.fixture
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME / XDG_CONFIG_HOME of our own, so the scan reads test files, never the real user's."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    monkeypatch.setenv("GSETTINGS_BACKEND", "memory")  # gsettings answers its defaults, reads nothing real
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY",
                 "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.fixture
def pac_server(tmp_path: Path) -> Iterator[str]:
    """Serves tmp_path/pac/ on loopback; yields the base URL."""
    root = tmp_path / "pac"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def write_pac(tmp_path: Path, name: str, body: str) -> None:
    (tmp_path / "pac" / name).write_text(body)


# --- the real probe on this machine -----------------------------------------------------------------------------


def test_real_scan_on_this_machine_has_the_shared_shapes(private_home: Path) -> None:
    ctx = ProbeContext(base_url="http://127.0.0.1:9")  # loopback: nothing leaves the machine
    probes = [EnvInterfacesProbe(), EnvVpnProbe(), EnvProxyProbe(), EnvClientsProbe()]
    results = {r.probe: r for r in run_probes(probes, ctx, no_progress, CancelToken())}
    assert set(results) == set(ENV_PROBES)
    assert all(r.status.value == "ok" for r in results.values()), {k: r.summary for k, r in results.items()}

    iface = results["env.interfaces"].data
    lo = next(i for i in iface["interfaces"] if i["name"] == "lo")
    assert lo["up"] and lo["mtu"] == 65536 and "127.0.0.1" in lo["addresses"] and lo["is_vpn"] is False
    assert {k: iface["route"][k] for k in ("interface", "mtu", "local_address", "family")} == {
        "interface": "lo", "mtu": 65536, "local_address": "127.0.0.1", "family": "ipv4"}
    assert set(iface["route"]) >= {"interface", "mtu", "gateway", "local_address", "family"}

    vpn = results["env.vpn"].data
    assert set(vpn) >= {"agents", "api_via_tunnel", "tunnel_interface"} and vpn["api_via_tunnel"] is False
    assert vpn["process_scan"]["processes_seen"] > 1

    proxy = results["env.proxy"].data
    assert proxy["system"]["proxy"] is None and set(proxy["system"]) >= {"proxy", "source", "pac_url"}
    assert {c: v["proxy"] for c, v in proxy["clients"].items()} == {
        "python-sdk": None, "claude-code": None, "node-sdk": None}
    if shutil.which("gsettings"):
        assert "gsettings" in proxy["raw"]  # the real gsettings ran and its output is kept

    clients = results["env.clients"].data
    assert set(clients) >= {"claude_code", "python_sdks", "node_sdk"}
    assert clients["python_sdks"], "this machine has Python on PATH"
    assert all(p["python_version"] for p in clients["python_sdks"])
    assert clients["claude_code"]["settings_path"] == str(private_home / ".claude" / "settings.json")
    json.dumps([r.data for r in results.values()])  # JSON-able


def test_check_json_includes_the_environment_with_lab(private_home: Path) -> None:
    out = io.StringIO()
    code = cli.run_check(cli.build_parser().parse_args(["check", "--lab", "clean", "--json", "--quick"]), out)
    report = json.loads(out.getvalue())
    assert code in (0, 1)
    probes = {r["probe"]: r for r in report["results"]}
    assert set(ENV_PROBES) <= set(probes)
    assert probes["env.interfaces"]["data"]["route"]["interface"] == "lo"  # the lab is on loopback


# --- bad input ---------------------------------------------------------------------------------------------


def test_unreadable_claude_settings_say_could_not_read(private_home: Path) -> None:
    (private_home / ".claude").mkdir()
    (private_home / ".claude" / "settings.json").write_text('{"env": {"HTTPS_PROXY": "http://p:3128",}')
    files = ec.read_claude_settings()
    assert files[0].exists and files[0].error and files[0].error.startswith("could not read: not valid JSON")
    (private_home / ".claude" / "settings.json").unlink()
    (private_home / ".claude" / "settings.json").mkdir()  # a directory where the file should be
    files = ec.read_claude_settings()
    assert files[0].error and files[0].error.startswith("could not read")
    result = EnvClientsProbe().run(ProbeContext(), no_progress, CancelToken())
    assert result.status.value == "ok" and result.data["claude_code"]["errors"]


def test_settings_env_block_is_read_and_overrides_process_env(private_home: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    config = private_home / "cc"
    config.mkdir()
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    (config / "settings.json").write_text(json.dumps({"env": {
        "HTTPS_PROXY": "http://user:secret@proxy.corp.example:3128", "API_TIMEOUT_MS": "900000",
        "CLAUDE_STREAM_IDLE_TIMEOUT_MS": "300000", "UNRELATED": "x"}}))
    info = ec.scan_claude_code([])
    assert info["settings_path"] == str(config / "settings.json")
    assert info["env"] == {"HTTPS_PROXY": "http://user:***@proxy.corp.example:3128", "API_TIMEOUT_MS": "900000",
                           "CLAUDE_STREAM_IDLE_TIMEOUT_MS": "300000"}  # the password never leaves
    env, origin = ec.claude_code_env(ec.read_claude_settings(), {"HTTPS_PROXY": "http://env:1"})
    clients = client_choices(API, {"HTTPS_PROXY": "http://env:1"}, [], "linux", env, origin)
    assert clients["claude-code"]["proxy"] == "http://user:secret@proxy.corp.example:3128"
    assert "user settings" in clients["claude-code"]["source"]
    assert clients["python-sdk"]["proxy"] == "http://env:1"
    assert clients["node-sdk"]["proxy"] is None  # Node's fetch ignores HTTPS_PROXY by default
    with_flag = client_choices(API, {"HTTPS_PROXY": "http://env:1", "NODE_USE_ENV_PROXY": "1"}, [], "linux", {}, {})
    assert with_flag["node-sdk"]["proxy"] == "http://env:1"


@pytest.mark.skipif(shutil.which("gsettings") is None, reason="gsettings (libglib2.0-bin) is not installed")
def test_gnome_manual_proxy_end_to_end_without_leaking_its_password(private_home: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GSETTINGS_BACKEND", "keyfile")  # the real gsettings, reading our file only
    keyfile = private_home / ".config" / "glib-2.0" / "settings" / "keyfile"
    keyfile.parent.mkdir(parents=True)
    keyfile.write_text("[system/proxy]\nmode='manual'\n\n[system/proxy/http]\nhost='proxy.corp.example'\n"
                       "port=3128\nuse-authentication=true\nauthentication-user='jdoe'\n"
                       "authentication-password='hunter2'\n")
    data = scan_proxies(API, env={})
    assert data["system"]["proxy"] == "http://jdoe:hunter2@proxy.corp.example:3128"  # use-same-proxy: https too
    assert data["clients"]["python-sdk"]["proxy"] is None  # on Linux the SDK never reads GNOME's settings
    shown = json.dumps({k: v for k, v in data.items() if k not in ("system", "clients")})
    assert "hunter2" not in shown and "jdoe:***@" in shown


def test_python_sdk_reads_static_system_proxy_on_windows_and_macos_only() -> None:
    static = SystemProxy("Windows Internet Options (registry)", mode="manual", https="http://reg:8080")
    on_windows = client_choices(API, {}, [static], "windows", {}, {})
    assert on_windows["python-sdk"]["proxy"] == "http://reg:8080"
    assert client_choices(API, {}, [static], "linux", {}, {})["python-sdk"]["proxy"] is None
    both = SystemProxy("Windows Internet Options (registry)", mode="pac", pac_url="http://pac/", http="http://r:1",
                       https="http://r:2")
    assert client_choices(API, {}, [both], "windows", {}, {})["python-sdk"]["proxy"] == "http://r:2"
    # "http=r:1" alone (or macOS HTTPEnable without HTTPSEnable): urllib has no https entry, https:// goes direct
    http_only = SystemProxy("Windows Internet Options (registry)", mode="manual", http="http://r:1")
    assert client_choices(API, {}, [http_only], "windows", {}, {})["python-sdk"]["proxy"] is None
    socks_only = SystemProxy("macOS network settings (scutil --proxy)", mode="manual", socks="socks5://s:1080")
    assert client_choices(API, {}, [socks_only], "macos", {}, {})["python-sdk"]["proxy"] is None
    pac = SystemProxy("macOS", mode="pac", pac_url="http://pac/")
    assert client_choices(API, {}, [pac], "macos", {}, {})["python-sdk"]["proxy"] is None  # never PAC


def test_http_only_system_proxy_is_not_the_api_route() -> None:
    """Class 1 of issue 15: the scan named a proxy the https traffic never takes."""
    http_only = SystemProxy("macOS network settings (scutil --proxy)", mode="manual", http="http://web:3128")
    answer = system_answer([http_only], API, {}, None)
    assert answer["proxy"] is None and "only an HTTP proxy" in answer["source"] and "direct" in answer["source"]
    bypassed = SystemProxy("macOS network settings (scutil --proxy)", mode="manual", https="http://web:3128",
                           bypass=["api.anthropic.com"])
    assert "bypass list" in system_answer([bypassed], API, {}, None)["source"]


def test_missing_gsettings_and_missing_commands_do_not_raise(private_home: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(private_home / "empty-bin"))
    assert LinuxProxyReader().read_system_proxies() == []  # no GNOME, no KDE file: nothing configured
    out = run_command(["gsettings", "get", "x", "y"])
    assert not out.ok and out.error and "not installed" in out.error
    (private_home / ".config").mkdir()
    (private_home / ".config" / "kioslaverc").mkdir()  # unreadable: a directory
    found = LinuxProxyReader().read_system_proxies()
    assert len(found) == 1 and found[0].mode == "unknown" and "could not read" in (found[0].error or "")


def test_unreadable_executable_is_reported(tmp_path: Path) -> None:
    script = tmp_path / "tool"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(stat.S_IRUSR)  # not executable
    out = run_command([str(script)], 1.0)
    assert not out.ok and "could not be started" in (out.error or "")


def test_a_command_that_hangs_is_stopped_at_its_limit(tmp_path: Path) -> None:
    t0 = time.monotonic()
    out = run_command(["sleep", "30"], 0.5)
    assert out.error and "did not answer within 0.5 s" in out.error
    assert time.monotonic() - t0 < 10


# --- PAC ----------------------------------------------------------------------------------------------------


def test_pac_from_loopback_says_proxy_for_the_api(tmp_path: Path, pac_server: str) -> None:
    write_pac(tmp_path, "corp.pac", """
        function FindProxyForURL(url, host) {
            if (isPlainHostName(host) || shExpMatch(host, "*.corp.example")) return "DIRECT";
            if (dnsDomainIs(host, ".anthropic.com")) return "PROXY a.corp.example:1; PROXY b:2; DIRECT";
            return "DIRECT";
        }""")
    sp = SystemProxy("GNOME proxy settings (gsettings)", mode="pac", pac_url=f"{pac_server}/corp.pac")
    answer = system_answer([sp], API, {}, None)
    assert answer["proxy"] == "http://a.corp.example:1"
    assert answer["pac_result"] == "PROXY a.corp.example:1; PROXY b:2; DIRECT"
    assert answer["pac_choices"] == [["PROXY", "a.corp.example:1"], ["PROXY", "b:2"], ["DIRECT", ""]]
    assert answer["error"] is None
    direct = system_answer([sp], "https://wiki.corp.example/", {}, None)
    assert direct["proxy"] is None and direct["pac_result"] == "DIRECT"


def test_endless_pac_is_abandoned_in_bounded_time(tmp_path: Path, pac_server: str) -> None:
    write_pac(tmp_path, "loop.pac", "function FindProxyForURL(url, host) { while (true) {} }")
    sp = SystemProxy("KDE proxy settings (kioslaverc)", mode="pac", pac_url=f"{pac_server}/loop.pac")
    t0 = time.monotonic()
    answer = system_answer([sp], API, {}, None, pac_eval=functools.partial(pac_for_url, eval_timeout_s=1.0))
    elapsed = time.monotonic() - t0
    assert answer["proxy"] is None
    assert answer["error"] == "could not read: the PAC file did not answer within 1 s (endless loop?)"
    assert elapsed < 15  # the loop would run forever


def test_broken_and_missing_pac_say_could_not_read(tmp_path: Path, pac_server: str) -> None:
    write_pac(tmp_path, "broken.pac", "function FindProxyForURL(url, host) { return ")
    broken = pac_for_url(f"{pac_server}/broken.pac", API)
    assert broken.result is None and (broken.error or "").startswith("could not read: the PAC file is broken")
    missing = pac_for_url(f"{pac_server}/nope.pac", API)
    assert missing.result is None and "HTTP Error 404" in (missing.error or "")
    refused = pac_for_url("http://127.0.0.1:9/x.pac", API, fetch_timeout_s=1.0)
    assert refused.error and refused.error.startswith("could not read: fetching the PAC file failed")
    assert pac_for_url("ftp://x/y.pac", API).error == "could not read: unsupported PAC URL scheme 'ftp'"
    assert evaluate_pac("var x = 1;", API, 5.0)[1] is not None  # no FindProxyForURL at all


def test_file_pac_and_auto_detect(tmp_path: Path) -> None:
    pac = tmp_path / "local.pac"
    pac.write_text('function FindProxyForURL(u, h) { return "SOCKS5 127.0.0.1:1080"; }')
    answer = system_answer([SystemProxy("x", mode="pac", pac_url=pac.as_uri())], API, {}, None)
    assert answer["proxy"] == "socks5://127.0.0.1:1080"
    wpad = system_answer([SystemProxy("y", mode="auto-detect", auto_detect=True)], API, {}, None)
    assert wpad["proxy"] is None and "WPAD" in wpad["source"] and wpad["error"]


# --- interfaces, resolver, interpreters, Claude Code ---------------------------------------------------------


def test_resolver_that_never_answers_is_abandoned(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def stuck(*args: object, **kwargs: object) -> list[object]:
        release.wait(30)
        raise socket.gaierror("released")

    monkeypatch.setattr(socket, "getaddrinfo", stuck)
    t0 = time.monotonic()
    try:
        found, error = ei.resolve_bounded("api.example.invalid", 443, timeout_s=0.3)
    finally:
        release.set()
    assert found == [] and error == "api.example.invalid was not resolved within 0.3 s"
    assert time.monotonic() - t0 < 10
    assert ei.resolve_bounded("::1", 443) == ([(socket.AF_INET6, "::1")], None)


def test_unresolvable_host_falls_back_to_the_default_route(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ei, "resolve_bounded", lambda host, port, timeout_s=1.0: ([], f"{host} could not be resolved"))
    interfaces = [{"name": "eth9", "up": True, "mtu": 1400, "addresses": ["192.0.2.50"]}]
    route = ei.find_route("api.anthropic.com", 443, interfaces, {"ipv4": {"gateway": "192.0.2.1", "interface": "eth9"}},
                          {})
    assert (route["interface"], route["mtu"], route["gateway"]) == ("eth9", 1400, "192.0.2.1")
    assert route["assumed"] and route["error"].startswith("could not read")


def test_pyenv_shims_are_resolved_without_running_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / ".pyenv"
    shims = root / "shims"
    shims.mkdir(parents=True)
    for name in ("python", "python3", "python3.12", "python3-config"):
        (shims / name).write_text("#!/bin/sh\nexit 99\n")
        (shims / name).chmod(0o755)
    real = root / "versions" / "3.11.7" / "bin"
    real.mkdir(parents=True)
    (real / "python3.11").write_text("#!/bin/sh\n")
    (real / "python3.11").chmod(0o755)
    (real / "python3").symlink_to("python3.11")
    (real / "python").symlink_to("python3.11")
    (root / "version").write_text("3.11.7\n")
    store = tmp_path / "WindowsApps"
    store.mkdir()
    (store / "python.exe").write_text("")
    monkeypatch.delenv("PYENV_VERSION", raising=False)
    monkeypatch.chdir(tmp_path)
    found = ec.find_python_interpreters(os.pathsep.join([str(shims), str(store)]))
    assert found == [str(real / "python")]  # one real file (python/python3 are the same), no shim, no Store alias


def test_claude_code_version_from_package_json_next_to_the_binary(tmp_path: Path) -> None:
    pkg = tmp_path / "lib" / "node_modules" / "@anthropic-ai" / "claude-code"
    pkg.mkdir(parents=True)
    (pkg / "package.json").write_text('{"name": "@anthropic-ai/claude-code", "version": "2.0.14"}')
    (pkg / "cli.js").write_text("#!/usr/bin/env node\n")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "claude").symlink_to(pkg / "cli.js")
    version, source = ec.claude_code_version(str(tmp_path / "bin" / "claude"))
    assert version == "2.0.14" and "package.json" in source
    native = tmp_path / "share" / "claude" / "versions"
    native.mkdir(parents=True)
    (native / "2.1.3").write_text("")
    (tmp_path / "bin" / "claude-native").symlink_to(native / "2.1.3")
    assert ec.claude_code_version(str(tmp_path / "bin" / "claude-native"))[0] == "2.1.3"
    lost = ec.claude_code_version(str(tmp_path / "bin"))
    assert lost[0] is None and lost[1].startswith("could not read")


def test_other_os_adapters_say_could_not_read_here_instead_of_raising() -> None:
    from streamdoctor.platform.macos import MacPlatform
    from streamdoctor.platform.windows import WindowsPlatform

    win = WindowsPlatform()
    found = win.proxy.read_system_proxies()
    assert found and all(sp.mode == "unknown" and (sp.error or "").startswith("could not read") for sp in found)
    assert win.proxy.proxy_for_url(API, 1.0) is None and win.adapters.descriptions() == {}
    assert win.routes.route_to("192.0.2.1", 1.0)[0] is None
    assert win.locations.managed_settings_paths()[0].parts[-2:] == ("ClaudeCode", "managed-settings.json")
    mac = MacPlatform()
    scutil = mac.proxy.read_system_proxies()
    assert len(scutil) == 1 and scutil[0].mode == "unknown" and "could not read" in (scutil[0].error or "")
    route, raw = mac.routes.route_to("192.0.2.1", 1.0)
    assert route is None and raw.startswith("could not read")
    answer = system_answer(scutil, API, {}, None)
    assert answer["mode"] == "unknown" and answer["proxy"] is None and answer["error"]


def test_permission_denied_is_said_in_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamdoctor.platform import common

    def denied(self: Path, *args: object, **kwargs: object) -> object:
        raise PermissionError(13, "Permission denied", str(self))

    from streamdoctor import safeio

    monkeypatch.setattr(safeio, "read_regular", lambda path, limit=0: denied(Path(path)))  # what read_text uses
    assert common.read_text(tmp_path / "settings.json") == (None, "could not read: permission denied")
    files = ec.read_claude_settings()
    assert files[0].exists and files[0].error == "could not read: permission denied"
