"""env-proxy and env-ca: the Linux backend for real in a temporary HOME; what macOS and Windows would write, as
pure functions."""

from __future__ import annotations

import subprocess

import pytest
from fixreports import make_root_pem, proxy_report, report

from streamdoctor.fixes import get_fix, list_records
from streamdoctor.fixes.env import EnvCAFix, EnvProxyFix
from streamdoctor.fixes.journal import FixError
from streamdoctor.fixes.session_env import (
    REG_EXPAND_SZ,
    REG_SZ,
    LinuxEnvironmentD,
    check_values,
    environment_d_text,
    launchctl_commands,
    parse_environment_d,
    profile_with_block,
    registry_values,
)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("STREAMDOCTOR_HOME", str(tmp_path / "sd"))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NODE_EXTRA_CA_CERTS", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    (tmp_path / "user").mkdir()
    return tmp_path / "user"


def test_env_proxy_on_linux_writes_environment_d_that_a_shell_reads_back(home):
    fix = EnvProxyFix(LinuxEnvironmentD())
    rep = proxy_report()
    assert fix.applies(rep)
    plan = fix.preview(rep)
    conf = home / ".config" / "environment.d" / "60-streamdoctor-env-proxy.conf"
    assert str(conf) in plan.preview and "~/.profile" in plan.preview
    record_id = fix.apply(rep)
    # What a login shell sourcing the file (the ~/.profile line from the preview) really gets:
    out = subprocess.run(["sh", "-c", f'set -a; . "{conf}"; set +a; printf "%s|%s" "$HTTPS_PROXY" "$NO_PROXY"'],
                         capture_output=True, text=True, timeout=10, env={"PATH": "/usr/bin:/bin"}).stdout
    assert out == "http://proxy.corp.example:8080|localhost,127.0.0.1,::1"
    assert fix.verify(rep, record_id).ok
    fix.revert(record_id)
    assert not conf.exists()
    assert [r.state for r in list_records()] == ["reverted"]


def test_env_ca_writes_a_full_bundle_and_the_extra_root(home):
    root = make_root_pem()
    rep = report({"tls": {"inspected": True, "inspector": "Netskope", "root_pem": root}})
    fix = EnvCAFix(LinuxEnvironmentD())
    record_id = fix.apply(rep)
    values = parse_environment_d((home / ".config/environment.d/60-streamdoctor-env-ca.conf").read_text())
    bundle = open(values["SSL_CERT_FILE"]).read()
    assert bundle.endswith(root) and bundle.count("BEGIN CERTIFICATE") > 100  # public roots + the company root
    assert open(values["NODE_EXTRA_CA_CERTS"]).read() == root
    assert fix.verify(rep, record_id).ok
    fix.revert(record_id)
    import os

    assert not os.path.exists(values["SSL_CERT_FILE"])


def test_environment_d_quoting_round_trips_odd_values():
    values = {"HTTPS_PROXY": 'http://u:p$ss"w\\rd@proxy:8080', "NO_PROXY": "a b,c"}
    assert parse_environment_d(environment_d_text("env-proxy", values)) == values
    with pytest.raises(FixError):
        check_values({"HTTPS_PROXY": "http://x\nEVIL=1"})
    with pytest.raises(FixError):
        check_values({"BAD NAME": "x"})


def test_macos_would_run_launchctl_and_add_one_marked_block():
    updates = {"HTTPS_PROXY": "http://proxy:8080", "NO_PROXY": "localhost"}
    assert launchctl_commands(updates) == [["/bin/launchctl", "setenv", "HTTPS_PROXY", "http://proxy:8080"],
                                           ["/bin/launchctl", "setenv", "NO_PROXY", "localhost"]]
    profile = 'export PATH="$HOME/bin:$PATH"'  # no trailing newline
    once = profile_with_block(profile, "env-proxy", updates)
    assert once.startswith(profile + "\n# >>> streamdoctor env-proxy >>>\n")
    assert "export HTTPS_PROXY='http://proxy:8080'\n" in once
    twice = profile_with_block(once, "env-proxy", {"HTTPS_PROXY": "http://other:3128"})
    assert twice.count(">>> streamdoctor env-proxy >>>") == 1 and "other:3128" in twice and "proxy:8080" not in twice
    assert profile_with_block("", "env-ca", {"X": "it's"}) .splitlines()[1] == "export X='it'\"'\"'s'"


def test_windows_would_write_user_environment_values():
    assert registry_values({"SSL_CERT_FILE": r"%LOCALAPPDATA%\streamdoctor\ca\bundle.pem",
                            "HTTPS_PROXY": "http://proxy:8080"}) == {
        "SSL_CERT_FILE": (r"%LOCALAPPDATA%\streamdoctor\ca\bundle.pem", REG_EXPAND_SZ),
        "HTTPS_PROXY": ("http://proxy:8080", REG_SZ)}


def test_env_proxy_does_nothing_when_the_clients_already_use_the_proxy(home):
    rep = proxy_report()
    for c in rep.result("env.proxy").data["clients"].values():
        c["proxy"] = "http://proxy.corp.example:8080"
    assert not get_fix("env-proxy").applies(rep)
