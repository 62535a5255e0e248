"""Issue 14 items 8 and 9, issue 15 items 10 and 12: bad input gets one line and exit 2 (no traceback, nothing
read for ever); a key is not sent over plain HTTP without asking; --bundle NAME.zip writes that file; no display
gives one line and exit 2. All through the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import zipfile

import pytest
from clirun import clean_env, run_cli

from streamdoctor.errors import BadURLError
from streamdoctor.urls import is_loopback, sends_key_in_cleartext, validate_base_url

BAD_URLS = [
    "https://" + "a" * 64 + ".example.com",  # the review's 78-line traceback
    "https://api anthropic.com",
    "https://api.anthropic.com\n",
    "https://api.anthropic.com\nX-Injected: 1",
    "https://api.anthropic.com:0",
    "https://api.anthropic.com:65536",
    "https://api.anthropic.com:port",
    "http://256.1.1.1",
    "http://1.2.3.4.5",
    "https://" + ".".join(["abcdefghij"] * 26) + ".com",  # 291 characters
    "https://[::zz]/",
    "ftp://api.anthropic.com",
    "https://",
    "https://api.anthropic.com/?x=1",
    "https://-bad-.example.com",
    "https://api.anthropic.com\x00",
]


@pytest.mark.parametrize("url", BAD_URLS)
def test_bad_urls_are_refused_in_one_function(url):
    with pytest.raises(BadURLError) as err:
        validate_base_url(url)
    assert "\n" not in str(err.value) and len(str(err.value)) < 400


@pytest.mark.parametrize("url", ["https://api.anthropic.com", "https://api.anthropic.com/", "http://127.0.0.1:8080",
                                 "https://[::1]:8443/anthropic", "https://gw.corp.example:8443/v1/proxy",
                                 "https://bücher.example", "https://user:pa%40ss@gw.example.com"])
def test_good_urls_pass(url):
    assert validate_base_url(url) == url.rstrip("/")


def test_a_bad_url_error_never_shows_the_password():
    with pytest.raises(BadURLError) as err:
        validate_base_url("https://me:Hunter2Secret@gw.example.com:0")
    assert "Hunter2Secret" not in str(err.value)


@pytest.mark.parametrize("url", BAD_URLS[:6])
def test_cli_bad_base_url_is_one_line_exit_2(tmp_path, url):
    proc = run_cli(["check", "--quick", "--base-url", url], clean_env(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("streamdoctor: error:")
    assert "Traceback" not in proc.stderr + proc.stdout


def test_cli_bad_anthropic_base_url_env_is_one_line_exit_2(tmp_path):
    proc = run_cli(["check", "--quick"], clean_env(tmp_path, ANTHROPIC_BASE_URL="https://x.example.com:0"))
    assert proc.returncode == 2 and "port" in proc.stderr and proc.stderr.count("\n") == 1


def _inputs(tmp_path):
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    nested = tmp_path / "nested.json"
    nested.write_text("[" * 200_000)
    deep_obj = tmp_path / "deep.json"
    deep_obj.write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    listing = tmp_path / "list.json"
    listing.write_text("[1, 2, 3]")
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes(b'{"target": "caf\xe9"}')
    return {"fifo": fifo, "symlink loop": loop, "nested list": nested, "nested object": deep_obj,
            "a list": listing, "latin-1": latin1, "a folder": tmp_path, "/dev/zero": "/dev/zero",
            "missing": tmp_path / "nope.json"}


@pytest.mark.parametrize("what", ["fifo", "symlink loop", "nested list", "nested object", "a list", "latin-1",
                                  "a folder", "/dev/zero", "missing"])
@pytest.mark.parametrize("command", [["bundle", "--from"], ["fix", "show", "env-proxy", "--report"]])
def test_hostile_report_inputs_are_one_line_exit_2(tmp_path, what, command):
    path = _inputs(tmp_path)[what]
    out = tmp_path / "out"
    out.mkdir()
    extra = ["--out", str(out)] if command[0] == "bundle" else []
    proc = run_cli([*command, str(path), *extra], clean_env(tmp_path), timeout=30)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "unexpected error" not in proc.stderr
    assert list(out.iterdir()) == []  # nothing half-written


# --- plain HTTP (item 9) --------------------------------------------------------------------------------------


def test_plain_http_to_another_machine_is_cleartext_and_loopback_is_not():
    assert sends_key_in_cleartext("http://gw.example.com:8080")
    assert sends_key_in_cleartext("http://10.1.2.3")
    assert not sends_key_in_cleartext("https://gw.example.com")
    assert not sends_key_in_cleartext("http://127.0.0.1:8080") and not sends_key_in_cleartext("http://[::1]:1")
    assert is_loopback("http://localhost:1") and not is_loopback("http://localhost.example.com")


def test_cli_refuses_to_send_a_key_over_plain_http_without_asking(tmp_path):
    env = clean_env(tmp_path, ANTHROPIC_API_KEY="sk-ant-api03-plainhttp-test-key")
    proc = run_cli(["check", "--quick", "--base-url", "http://192.0.2.1:9"], env)
    assert proc.returncode == 2 and "cleartext" in proc.stderr and "--allow-plain-http" in proc.stderr
    assert "plainhttp-test-key" not in proc.stderr + proc.stdout


def test_plain_http_gateway_is_a_finding_not_healthy(tmp_path):
    from hostile import hostile_server, http_once

    body = b'{"type":"error","error":{"type":"authentication_error","message":"x-api-key header is required"}}'
    raw = (b"HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\nrequest-id: req_1\r\n"
           b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body))
    from streamdoctor.diagnosis import diagnose
    from streamdoctor.model import ProbeResult, Status

    tls = ProbeResult("tls", Status.SKIPPED, "plain", {"plain_http": True, "loopback": False, "skipped": True})
    verdict = diagnose([tls], "http://gw.example.com")
    assert [f.cause for f in verdict.findings] == ["plain-http"]
    assert "cleartext" in verdict.findings[0].title and verdict.overall.value == "problem"
    with hostile_server(http_once(raw)) as port:  # the lab-like loopback case: no finding
        proc = run_cli(["check", "--quick", "--json", "--base-url", f"http://127.0.0.1:{port}"], clean_env(tmp_path))
    report = json.loads(proc.stdout)
    assert "plain-http" not in {f["cause"] for f in report["verdict"]["findings"]}


# --- --bundle NAME.zip (issue 15 item 10) ---------------------------------------------------------------------


def test_bundle_path_ending_in_zip_is_the_file(tmp_path):
    target = tmp_path / "for-it.zip"
    proc = run_cli(["check", "--lab", "clean", "--quick", "--bundle", str(target)], clean_env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert target.is_file() and zipfile.is_zipfile(target)
    assert str(target) in proc.stdout
    again = run_cli(["check", "--lab", "clean", "--quick", "--bundle", str(target)], clean_env(tmp_path))
    assert again.returncode == 2 and "already exists" in again.stderr  # refused before the check ran


def test_bundle_folder_still_gets_a_named_zip(tmp_path):
    folder = tmp_path / "bundles"
    proc = run_cli(["check", "--lab", "clean", "--quick", "--bundle", str(folder)], clean_env(tmp_path))
    assert proc.returncode == 0 and [p.suffix for p in folder.iterdir()] == [".zip"]


# --- no display (issue 15 item 12) ----------------------------------------------------------------------------


def test_wizard_without_a_display_says_so_and_exits_2(tmp_path):
    env = clean_env(tmp_path)
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(var, None)
    proc = run_cli([], env, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "streamdoctor check" in proc.stderr and "no display" in proc.stderr


def test_wizard_whose_qt_plugin_cannot_load_says_so_and_exits_2(tmp_path):
    env = clean_env(tmp_path, DISPLAY=":97")  # no X server there: the xcb plugin cannot start
    for var in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(var, None)
    proc = run_cli([], env, timeout=60)
    assert proc.returncode == 2
    assert "platform plugin" in proc.stderr and "streamdoctor check" in proc.stderr


def test_display_problem_words():
    from streamdoctor.__main__ import display_problem

    assert display_problem({}, "linux").startswith("no display")
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") == ""
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") == ""
    assert "DISPLAY" in display_problem({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "w"}, "linux")
    assert display_problem({}, "win32") == "" and display_problem({}, "darwin") == ""
