"""Issue 14 item 5: fixes that run at once, die mid-write, or meet a file they must not touch.

Real `streamdoctor fix apply` subprocesses: ten pairs applying two different settings.json fixes at the same
moment (before the lock one change was lost every time), undo in both orders, kill -9 at the worst points and at
random moments, a read-only file, a FIFO/folder/device where settings.json should be, and ownership kept when root
applies the fix to a user's file.
"""

from __future__ import annotations

import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from fixreports import proxy_report, report  # noqa: E402

from streamdoctor.fixes.journal import CRASH_ENV, PAUSED_MARK  # noqa: E402
from streamdoctor.model import to_jsonable  # noqa: E402

ORIGINAL = b'{\n  "model": "opus",\n  "env": {\n    "FOO": "bar"\n  },\n  "theme": "dark"\n}\n'
PAIRS = 10
RANDOM_KILLS = 12


def _reports(folder: Path) -> dict[str, Path]:
    timeouts = report({"stream": {"outcome": "completed", "time_to_first_byte_s": 250.0}}, {"slow-first-byte": []})
    out = {}
    for fix_id, rep in (("claude-code-proxy", proxy_report()), ("claude-code-timeouts", timeouts)):
        p = folder / f"{fix_id}.json"
        p.write_text(json.dumps(to_jsonable(rep)))
        out[fix_id] = p
    return out


def _env(home: Path, claude: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "STREAMDOCTOR_HOME": str(home), "CLAUDE_CONFIG_DIR": str(claude), **extra}


def _cli(*argv: str) -> list[str]:
    return [sys.executable, "-m", "streamdoctor", *argv]


def _apply_argv(fix_id: str, rep: Path) -> list[str]:
    return _cli("fix", "apply", fix_id, "--report", str(rep), "--yes", "--no-verify")


def test_ten_concurrent_pairs_lose_nothing_and_undo_restores_the_bytes(tmp_path: Path) -> None:
    reports = _reports(tmp_path)
    losses, undo_changed = 0, 0
    for i in range(PAIRS):
        home, claude = tmp_path / f"home{i}", tmp_path / f"claude{i}"
        claude.mkdir()
        (claude / "settings.json").write_bytes(ORIGINAL)
        env = _env(home, claude)
        procs = [subprocess.Popen(_apply_argv(f, r), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for f, r in reports.items()]
        outs = [p.communicate(timeout=120) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], outs
        merged = json.loads((claude / "settings.json").read_text())["env"]
        if not ("HTTPS_PROXY" in merged and "API_TIMEOUT_MS" in merged and merged.get("FOO") == "bar"):
            losses += 1
        # Undo in both orders (even pairs: the first applied first; odd: the last applied first).
        ids = [json.loads(line)["id"] for line in _records(home)]
        for record_id in (ids if i % 2 == 0 else ids[::-1]):
            undo = subprocess.run(_cli("fix", "undo", record_id), env=env, capture_output=True, text=True,
                                  timeout=60)
            assert undo.returncode == 0, undo.stderr
        if (claude / "settings.json").read_bytes() != ORIGINAL:
            undo_changed += 1
        assert not list(claude.glob(".*sd-tmp*"))
    print(f"\nconcurrent apply: {PAIRS} pairs, {losses} lost changes, {undo_changed} undo left the file changed")
    assert losses == 0 and undo_changed == 0


def _records(home: Path) -> list[str]:
    folder = home / "data" / "fixes" / "journal"
    if not folder.is_dir():
        folder = next(home.rglob("journal"))
    files = sorted(folder.glob("*.json"), key=lambda p: json.loads(p.read_text())["created_at"])
    return [json.dumps({"id": p.stem}) for p in files]


def _start_and_wait_for_pause(argv: list[str], env: dict[str, str], point: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(argv, env={**env, CRASH_ENV: point}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    for line in proc.stderr:  # bounded: the child reaches the hook within seconds, or exits
        if line.startswith(PAUSED_MARK) or time.monotonic() > deadline:
            break
    return proc


def test_kill_9_mid_write_leaves_no_temp_file_after_the_next_start(tmp_path: Path) -> None:
    reports = _reports(tmp_path)
    home, claude = tmp_path / "home", tmp_path / "claude"
    claude.mkdir()
    settings = claude / "settings.json"
    settings.write_bytes(ORIGINAL)
    env = _env(home, claude)
    proc = _start_and_wait_for_pause(_apply_argv("claude-code-proxy", reports["claude-code-proxy"]), env,
                                     "tmp:settings.json")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    left = list(claude.glob(".settings.json.sd-tmp-*"))
    assert len(left) == 1, "the kill should have left the temp file (the case to clean up)"
    # Files that are not ours (or whose process lives) must survive the sweep.
    foreign = claude / ".settings.json.sd-tmp-notours"
    foreign.write_text("x")
    live = claude / f".settings.json.sd-tmp-{os.getpid()}-abcdef"
    live.write_text("x")
    start = subprocess.run(_cli("fix", "list"), env=env, capture_output=True, text=True, timeout=60)
    assert start.returncode == 0 and "rolled back" in start.stderr
    assert not left[0].exists()
    assert foreign.exists() and live.exists()
    assert settings.read_bytes() == ORIGINAL


def test_random_kill_9_during_apply_never_loses_the_file(tmp_path: Path) -> None:
    reports = _reports(tmp_path)
    rng = random.Random(14)
    home, claude = tmp_path / "home", tmp_path / "claude"
    claude.mkdir()
    settings = claude / "settings.json"
    env = _env(home, claude)
    states: dict[str, int] = {}
    for _ in range(RANDOM_KILLS):
        settings.write_bytes(ORIGINAL)
        proc = subprocess.Popen(_apply_argv("claude-code-timeouts", reports["claude-code-timeouts"]), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 1.5))
        proc.kill()
        proc.wait(10)
        now = settings.read_bytes()
        json.loads(now)  # always a whole JSON file, old or new
        states["original" if now == ORIGINAL else "applied"] = states.get(
            "original" if now == ORIGINAL else "applied", 0) + 1
        start = subprocess.run(_cli("fix", "list"), env=env, capture_output=True, text=True, timeout=60)
        assert start.returncode == 0, start.stderr
        assert not list(claude.glob(".*sd-tmp*")), "a temp file survived the next start"
        if now == ORIGINAL or "rolled back" in start.stderr:
            assert settings.read_bytes() == ORIGINAL
        if "rolled back" not in start.stderr and now != ORIGINAL:
            # the apply had finished before the kill: undo it for the next round
            subprocess.run(_cli("fix", "undo", "claude-code-timeouts"), env=env, capture_output=True, timeout=60)
            assert settings.read_bytes() == ORIGINAL
    print(f"\nrandom kill -9 during apply: {RANDOM_KILLS} runs, file after the kill: {states}")


def test_a_read_only_settings_file_is_refused_with_one_line(tmp_path: Path) -> None:
    reports = _reports(tmp_path)
    home, claude = tmp_path / "home", tmp_path / "claude"
    claude.mkdir()
    settings = claude / "settings.json"
    settings.write_bytes(ORIGINAL)
    settings.chmod(0o444)
    inode = settings.stat().st_ino
    run = subprocess.run(_apply_argv("claude-code-proxy", reports["claude-code-proxy"]), env=_env(home, claude),
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert run.stderr.strip().count("\n") == 0 and "read-only" in run.stderr, run.stderr
    assert settings.read_bytes() == ORIGINAL and settings.stat().st_ino == inode
    assert stat.S_IMODE(settings.stat().st_mode) == 0o444


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_a_fifo_folder_or_device_as_settings_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    reports = _reports(tmp_path)
    home, claude = tmp_path / "home", tmp_path / "claude"
    claude.mkdir()
    settings = claude / "settings.json"
    if kind == "fifo":
        os.mkfifo(settings)
    elif kind == "folder":
        settings.mkdir()
    else:
        settings.symlink_to("/dev/zero")
    env = _env(home, claude)
    for argv in (_apply_argv("claude-code-proxy", reports["claude-code-proxy"]),
                 _cli("fix", "show", "claude-code-proxy", "--report", str(reports["claude-code-proxy"]))):
        run = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
        assert run.returncode == 2, run.stderr
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1 and "not a regular file" in lines[0] and "Traceback" not in run.stderr, run.stderr
    # The check's client scan reads the same file: it says "could not read" and goes on (no hang).
    scan = subprocess.run([sys.executable, "-c", "from streamdoctor.probes.env_clients import read_claude_settings; "
                           "print([f.error for f in read_claude_settings()][0])"], env=env, capture_output=True,
                          text=True, timeout=30)
    assert "not a regular file" in scan.stdout, scan.stdout + scan.stderr


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to apply as root")
def test_root_keeps_the_users_owner_group_and_mode(tmp_path: Path) -> None:
    reports = _reports(tmp_path)
    home, claude = tmp_path / "home", tmp_path / "claude"
    claude.mkdir()
    os.chown(claude, 65534, 65534)
    settings = claude / "settings.json"
    settings.write_bytes(ORIGINAL)
    os.chown(settings, 65534, 65534)
    settings.chmod(0o640)
    env = _env(home, claude)
    run = subprocess.run(_apply_argv("claude-code-proxy", reports["claude-code-proxy"]), env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    st = settings.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (65534, 65534, 0o640)
    assert b"HTTPS_PROXY" in settings.read_bytes()
    undo = subprocess.run(_cli("fix", "undo", "claude-code-proxy"), env=env, capture_output=True, text=True,
                          timeout=60)
    assert undo.returncode == 0, undo.stderr
    st = settings.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (65534, 65534, 0o640)
    assert settings.read_bytes() == ORIGINAL
    # A settings.json that does not exist yet, made by root in the user's folder, belongs to the user.
    settings.unlink()
    run = subprocess.run(_apply_argv("claude-code-proxy", reports["claude-code-proxy"]), env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert (settings.stat().st_uid, settings.stat().st_gid) == (65534, 65534)


def test_a_second_apply_waits_a_bounded_time_then_says_so_in_one_line(tmp_path: Path) -> None:
    """Another process holds the fixes lock (as a long apply would): the second apply gives up after its bound
    with one line and changes nothing; once the lock is free it applies."""
    reports = _reports(tmp_path)
    home, claude = tmp_path / "home", tmp_path / "claude"
    claude.mkdir()
    settings = claude / "settings.json"
    settings.write_bytes(ORIGINAL)
    env = _env(home, claude)
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time\n"
                               "from streamdoctor.fixes.filelock import fix_lock\n"
                               "with fix_lock():\n    print('held', flush=True)\n    sys.stdin.readline()\n"],
                              env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        code = ("import sys; sys.path.insert(0, sys.argv[1]); import json\n"
                "from streamdoctor.fixes import filelock, get_fix\n"
                "from streamdoctor.model import report_from\n"
                "filelock.FIX_LOCK_WAIT_S = 1.0\n"
                "rep = report_from(json.load(open(sys.argv[2])))\n"
                "try:\n    get_fix('claude-code-proxy').apply(rep)\nexcept Exception as exc:\n"
                "    print(type(exc).__name__, exc)\n")
        second = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent),
                                 str(reports["claude-code-proxy"])], env=env, capture_output=True, text=True,
                                timeout=60)
        assert second.stdout.startswith("FixBusyError") and second.stdout.count("\n") == 1, second
        assert settings.read_bytes() == ORIGINAL
    finally:
        if holder.stdin is not None:
            holder.stdin.close()
        holder.wait(10)
    run = subprocess.run(_apply_argv("claude-code-proxy", reports["claude-code-proxy"]), env=env,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
