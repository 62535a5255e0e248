"""The privileged helper refuses everything but an enumerated interface name and a sane integer MTU."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from streamdoctor.fixes import privhelper
from streamdoctor.fixes.elevate import osascript_argv
from streamdoctor.fixes.privhelper import HelperError, MtuPlan, commands, valid_interface, valid_mtu

KNOWN = {"lo", "eth0", "wlp2s0", "Ethernet 2", "enx00e04c68"}


@pytest.mark.parametrize("name", [
    "eth0; rm -rf /", "../eth0", "../../etc/passwd", "еth0",  # Cyrillic 'е'
    "eth0\n", "eth0 ", " eth0", "-eth0", "--help", "", "eth0\x00", "ｅｔｈ０",  # fullwidth
    "ETH0", "eth0/../lo", "$(reboot)", "`id`", "eth0|id", "wlp2s0\u200b",  # zero-width space
])
def test_hostile_or_unknown_interface_names_are_refused(name):
    with pytest.raises(HelperError):
        valid_interface(name, KNOWN)


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_enumerated_names_pass_unchanged(name):
    assert valid_interface(name, KNOWN) == name


@pytest.mark.parametrize("value", ["575", "9001", "0", "-1400", "1400.0", "1e3", " 1400", "1400\n", "١٤٠٠",
                                   "0x578", "+1400", "14000", "", "abc"])
def test_out_of_range_or_odd_mtus_are_refused(value):
    with pytest.raises(HelperError):
        valid_mtu(value)


@pytest.mark.parametrize("value", ["576", "1400", "1492", "9000"])
def test_sane_mtus_pass(value):
    assert valid_mtu(value) == int(value)


@pytest.mark.parametrize("argv", [
    ["set-mtu", "eth0; rm -rf /", "1400"],
    ["set-mtu", "lo", "100"],
    ["set-mtu", "lo"],
    ["revert-mtu", "lo", "1500", "--nm-value", "$(id)"],
    ["revert-mtu", "lo", "1500", "--connection", "x"],
    ["rm", "-rf", "/"],
])
def test_the_helper_process_refuses_with_exit_2_and_json(argv):
    from streamdoctor.fixes.elevate import helper_argv, helper_cwd, helper_env

    proc = subprocess.run(helper_argv(argv), capture_output=True, text=True, timeout=60, cwd=helper_cwd(),
                          env=helper_env())
    assert proc.returncode == 2, proc.stderr
    answer = json.loads(proc.stdout.strip().splitlines()[-1])
    assert answer["ok"] is False and answer["refused"] is True
    assert "isolated" not in answer["error"]  # refused for its arguments, not for how it was started


@pytest.mark.parametrize("argv", [
    [sys.executable, "-m", "streamdoctor.fixes.privhelper", "set-mtu", "lo", "1500"],  # not isolated
    [sys.executable, "-I", "-m", "streamdoctor.fixes.privhelper", "set-mtu", "lo", "1500", "--result-file",
     "/tmp/sd-privhelper-x/result.json"],  # Windows only
])
def test_the_helper_refuses_unconfined_runs_and_result_files_off_windows(argv, tmp_path):
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    answer = json.loads(proc.stdout.strip().splitlines()[-1])
    assert answer["refused"] is True and ("isolated" in answer["error"] or "Windows only" in answer["error"])
    assert not (tmp_path / "result.json").exists()


def test_the_result_file_never_goes_through_a_symlinked_folder(tmp_path, monkeypatch):
    from streamdoctor.fixes import privhelper

    monkeypatch.setattr(privhelper.sys, "platform", "win32")
    real = tmp_path / "sd-privhelper-real"
    real.mkdir()
    link = tmp_path / "sd-privhelper-link"
    link.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    (tmp_path / "elsewhere").mkdir()
    args = ["set-mtu", "lo", "1500", "--result-file"]
    assert privhelper._result_file([*args, str(real / "r.json")]) == (args[:-1], str(real / "r.json"))
    for bad in (str(link / "r.json"), "relative/sd-privhelper-x/r.json", str(tmp_path / "other" / "r.json")):
        with pytest.raises(privhelper.HelperError):
            privhelper._result_file([*args, bad])
    (real / "r.json").write_text("x")  # an existing file is never overwritten
    with pytest.raises(privhelper.HelperError):
        privhelper._result_file([*args, str(real / "r.json")])


def test_the_helper_imports_nothing_but_itself():
    # Run as root, it must load as little code as possible: no fix modules, no SDK, no Qt.
    code = ("import sys, streamdoctor.fixes.privhelper; "
            "print(sorted(m for m in sys.modules if m.startswith(('streamdoctor', 'anthropic', 'PySide6'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert set(eval(out)) <= {"streamdoctor", "streamdoctor.fixes", "streamdoctor.fixes.privhelper",
                              "streamdoctor.fixes.journal", "streamdoctor.fixes.atomic", "streamdoctor.errors",
                              "streamdoctor.paths", "streamdoctor.safeio",
                              # the journal's and safeio's errors are translated: the i18n package is standard
                              # library only and reads catalogs from the package's own folder (the helper never
                              # chooses a language, so it speaks English)
                              "streamdoctor.i18n", "streamdoctor.i18n.formatting", "streamdoctor.i18n.languages",
                              "streamdoctor.i18n.pseudo"}


def test_commands_per_os_are_argument_lists_with_the_name_as_one_argument():
    name = "Ethernet 2"
    netsh = commands(MtuPlan(name, "netsh"), 1400)
    assert netsh[0][1:] == ["interface", "ipv4", "set", "subinterface", "Ethernet 2", "mtu=1400", "store=persistent"]
    assert netsh[0][0].lower().endswith("netsh.exe")
    assert commands(MtuPlan("en0", "networksetup"), 1400) == [["/usr/sbin/networksetup", "-setMTU", "en0", "1400"]]
    ip = commands(MtuPlan("eth0", "ip"), 1400)
    assert ip[0][0].startswith("/") and ip[0][1:] == ["link", "set", "dev", "eth0", "mtu", "1400"]
    nm = commands(MtuPlan("eth0", "nmcli", "Wired connection 1", "802-3-ethernet.mtu", "auto"), 1400)
    assert [c[1:] for c in nm] == [["connection", "modify", "Wired connection 1", "802-3-ethernet.mtu", "1400"],
                                   ["device", "reapply", "eth0"], ["link", "set", "dev", "eth0", "mtu", "1400"]]
    back = commands(MtuPlan("eth0", "nmcli", "Wired connection 1", "802-3-ethernet.mtu", "auto"), 1500, "auto")
    assert back[0][-1] == "0"  # NetworkManager's "automatic"


def test_nmcli_output_parsing_on_recorded_outputs():
    assert privhelper.parse_nmcli_value("Wired connection 1\n") == "Wired connection 1"
    assert privhelper.parse_nmcli_value("--\n") == ""
    assert privhelper.parse_nmcli_value("") == ""
    assert privhelper.parse_nmcli_value("auto\n") == "auto"
    assert privhelper.nm_setting_key("802-3-ethernet") == "802-3-ethernet.mtu"
    assert privhelper.nm_setting_key("802-11-wireless") == "802-11-wireless.mtu"
    assert privhelper.nm_setting_key("pppoe") == "ppp.mtu"
    assert privhelper.nm_setting_key("loopback") == ""


def test_macos_elevation_passes_arguments_as_data_not_shell():
    argv = osascript_argv(["/usr/bin/python3", "-m", "streamdoctor.fixes.privhelper", "set-mtu", "en0'; id", "1400"])
    assert argv[0] == "/usr/bin/osascript"
    assert argv[-6:] == ["/usr/bin/python3", "-m", "streamdoctor.fixes.privhelper", "set-mtu", "en0'; id", "1400"]
    script = " ".join(argv[1:-6])
    assert "quoted form of" in script and "en0" not in script
