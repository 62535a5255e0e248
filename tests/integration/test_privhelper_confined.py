"""Issue 14 item 2: the privileged helper runs confined, and journal records are data, not programs.

As root, in a network namespace of its own with a throwaway interface (a veth pair: this kernel has no dummy
driver), `streamdoctor fix apply mtu` and `fix undo`
run from a folder holding a planted `psutil.py` (and with PYTHONPATH pointing at it): the helper must change the
MTU for real and never import the planted module. Hostile journal records (a pending nginx record whose "reload"
is any command, records others may write) must run nothing, at any start.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from fixreports import report  # noqa: E402

from streamdoctor.model import to_jsonable  # noqa: E402

STREAMDOCTOR = Path(sys.executable).with_name("streamdoctor")
PLANT = "import pathlib; pathlib.Path({marker!r}).write_text('imported as ' + __name__)\nraise ImportError('planted')\n"


def _plant(folder: Path, marker: Path) -> None:
    folder.mkdir(exist_ok=True)
    for name in ("psutil", "json", "platformdirs", "streamdoctor_plant"):
        (folder / f"{name}.py").write_text(PLANT.format(marker=str(marker)))


needs_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("ip"),
                                reason="needs root and iproute2 to make a network namespace")


@pytest.fixture
def dummy_netns():
    # Not in the netlab's "sdXXXX-" pattern: a netlab session starting in another xdist worker sweeps namespaces
    # of that pattern whose run it does not know, and killed this test's helper mid-undo (-9).
    name = f"sdpriv{secrets.token_hex(3)}"
    subprocess.run(["ip", "netns", "add", name], check=True, timeout=10)
    try:
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "add", "sddummy0", "type", "veth", "peer", "name",
                        "sddummy1"], check=True, timeout=10)
        subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "sddummy0", "mtu", "1500", "up"],
                       check=True, timeout=10)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False, timeout=10)


def _mtu(ns: str) -> int:
    out = subprocess.run(["ip", "netns", "exec", ns, "cat", "/sys/class/net/sddummy0/mtu"], capture_output=True,
                         text=True, timeout=10).stdout
    return int(out.strip())


@needs_root
def test_fix_apply_and_undo_mtu_as_root_never_import_a_planted_module(dummy_netns, tmp_path):
    plant, marker = tmp_path / "plant", tmp_path / "PLANTED-RAN"
    _plant(plant, marker)
    rep = report({"env.interfaces": {"route": {"interface": "sddummy0", "mtu": 1500}},
                  "mtu": {"path_mtu": 1400, "interface_mtu": 1500, "black_hole": True}})
    rep_path = tmp_path / "report.json"
    rep_path.write_text(json.dumps(to_jsonable(rep)))
    env = {**os.environ, "STREAMDOCTOR_HOME": str(tmp_path / "home"), "PYTHONPATH": str(plant),
           "PYTHONSTARTUP": str(plant / "psutil.py")}
    # The console script (its own folder first on sys.path, like an installed app); PYTHONPATH is only given to
    # the helper's environment through elevate, so the outer process gets it removed here.
    outer_env = {k: v for k, v in env.items() if k != "PYTHONPATH"}
    helper_env_seen = {**outer_env, "STREAMDOCTOR_TEST_PYTHONPATH": str(plant)}
    ns = ["ip", "netns", "exec", dummy_netns]
    apply = subprocess.run([*ns, str(STREAMDOCTOR), "fix", "apply", "mtu", "--report", str(rep_path), "--yes",
                            "--no-verify"], cwd=plant, env=helper_env_seen, capture_output=True, text=True,
                           timeout=120)
    assert apply.returncode == 0, apply.stdout + apply.stderr
    assert _mtu(dummy_netns) == 1400
    undo = subprocess.run([*ns, str(STREAMDOCTOR), "fix", "undo", "mtu"], cwd=plant, env=helper_env_seen,
                          capture_output=True, text=True, timeout=120)
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert _mtu(dummy_netns) == 1500
    assert not marker.exists(), marker.read_text()


@needs_root
def test_run_helper_ignores_the_callers_cwd_and_python_variables(dummy_netns, tmp_path):
    """Called with a hostile cwd and PYTHONPATH/PYTHONSTARTUP in the caller's environment (what `python -m`
    without -I would have honoured), the helper still imports nothing of them."""
    plant, marker = tmp_path / "plant", tmp_path / "PLANTED-RAN"
    _plant(plant, marker)
    code = ("import os, sys; os.chdir(sys.argv[1]); os.environ['PYTHONPATH'] = sys.argv[1]; "
            "os.environ['PYTHONSTARTUP'] = sys.argv[1] + '/psutil.py'; "
            "from streamdoctor.fixes.elevate import run_helper; "
            "print(run_helper(['set-mtu', 'sddummy0', '1280'])['ok'])")
    run = subprocess.run(["ip", "netns", "exec", dummy_netns, sys.executable, "-I", "-c", code, str(plant)],
                         capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "True", run.stderr
    assert _mtu(dummy_netns) == 1280
    assert not marker.exists()


@needs_root
def test_the_unconfined_helper_would_have_imported_it(tmp_path):
    """The reproduction: `python -m` (what the helper was started with) imports a planted psutil.py from the cwd;
    the helper now refuses such a start before touching anything."""
    plant, marker = tmp_path / "plant", tmp_path / "PLANTED-RAN"
    _plant(plant, marker)
    code = "import sys; sys.argv[1:] = []; import psutil"
    subprocess.run([sys.executable, "-c", code], cwd=plant, capture_output=True, timeout=30)
    assert marker.exists()  # python without -I runs code from the current folder
    marker.unlink()
    run = subprocess.run([sys.executable, "-m", "streamdoctor.fixes.privhelper", "set-mtu", "lo", "1500"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert run.returncode == 2 and "isolated" in run.stdout


def _write_record(home: Path, record: dict, mode: int = 0o600) -> Path:
    folder = home / "data" / "fixes" / "journal" if (home / "data").exists() else None
    from streamdoctor.fixes.journal import journal_dir

    os.environ["STREAMDOCTOR_HOME"] = str(home)
    folder = journal_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / f"{record['id']}.json"
    path.write_text(json.dumps(record))
    path.chmod(mode)
    return path


def _hostile_nginx_record(marker: Path) -> dict:
    now = time.time()
    return {"id": "20261201-000000-nginx-streaming-abcdef", "fix_id": "nginx-streaming", "title": "planted",
            "state": "pending", "created_at": now, "updated_at": now, "notes": [], "info": {},
            "steps": [{"kind": "nginx-reload", "command": ["/bin/sh", "-c", f"touch {marker}; echo"]}]}


def test_a_pending_record_runs_nothing_at_unrelated_starts_and_its_command_is_refused(tmp_path, monkeypatch):
    home, marker = tmp_path / "home", tmp_path / "RELOAD-RAN"
    monkeypatch.setenv("STREAMDOCTOR_HOME", str(home))
    _write_record(home, _hostile_nginx_record(marker))
    env = {**os.environ, "STREAMDOCTOR_HOME": str(home)}
    lab = subprocess.run([sys.executable, "-m", "streamdoctor", "lab", "list"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert lab.returncode == 0 and "rolled back" not in lab.stderr and not marker.exists()
    fix = subprocess.run([sys.executable, "-m", "streamdoctor", "fix", "list"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert fix.returncode == 0, fix.stderr
    assert not marker.exists(), "a journaled command ran"
    assert "refused" in fix.stderr and "Traceback" not in fix.stderr


@pytest.mark.parametrize("mode", [0o666, 0o620])
def test_a_record_others_may_write_is_refused_in_one_line(tmp_path, monkeypatch, mode):
    home, marker = tmp_path / "home", tmp_path / "RELOAD-RAN"
    monkeypatch.setenv("STREAMDOCTOR_HOME", str(home))
    record = _hostile_nginx_record(marker)
    record["state"] = "applied"
    _write_record(home, record, mode)
    env = {**os.environ, "STREAMDOCTOR_HOME": str(home)}
    undo = subprocess.run([sys.executable, "-m", "streamdoctor", "fix", "undo", record["id"]], env=env,
                          capture_output=True, text=True, timeout=60)
    assert undo.returncode == 2
    assert len(undo.stderr.strip().splitlines()) == 1 and "not private to you" in undo.stderr, undo.stderr
    assert not marker.exists()


def test_journal_step_arguments_are_validated_before_any_undo(tmp_path, monkeypatch):
    from streamdoctor.fixes import journal, registry  # noqa: F401  (registers every step kind)

    monkeypatch.setenv("STREAMDOCTOR_HOME", str(tmp_path / "home"))
    rec = journal.JournalRecord("20261201-000000-mtu-abcdef", "mtu", "t", "applied", 0.0, 0.0)
    hostile = [
        {"kind": "mtu", "interface": "eth0; rm -rf /", "previous_mtu": 1500, "method": "ip"},
        {"kind": "mtu", "interface": "lo", "previous_mtu": "1500 --x", "method": "ip"},
        {"kind": "mtu", "interface": "lo", "previous_mtu": 1500, "method": "sh"},
        {"kind": "nginx-reload", "command": ["/usr/sbin/nginx", "-g", "load_module /tmp/x.so;"]},
        {"kind": "nginx-reload", "command": "nginx -s reload"},
        {"kind": "file", "path": "/etc/passwd", "existed": True, "backup": "/tmp/evil", "before_sha256": None,
         "after_sha256": None},
        {"kind": "settings-env", "path": "relative.json", "env_before": {}},
        {"kind": "launchctl-env", "previous": {"LD_PRELOAD": "/tmp/x.so"}},
        {"kind": "shell", "command": "id"},
    ]
    for step in hostile:
        rec.steps = [step]
        problems = journal._undo_steps(rec)
        assert len(problems) == 1 and ("refused" in problems[0] or "unknown" in problems[0]), (step, problems)
    from streamdoctor.fixes.nginx import nginx_argv_is_safe

    assert nginx_argv_is_safe(["/usr/sbin/nginx", "-p", "/srv/gw", "-c", "/srv/gw/nginx.conf", "-g",
                               "pid /srv/gw/nginx.pid;"])
