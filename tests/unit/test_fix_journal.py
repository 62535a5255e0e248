"""The journal: written before any change, and a crash at the worst moment is rolled back at the next start.

The crash is real: a child process applies a fix and is SIGKILLed at the hook point (after the journal and the
backup are on disk but before the file is replaced; or after the replace but before the record says applied).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from streamdoctor.fixes import list_records, recover_pending
from streamdoctor.fixes.atomic import atomic_write
from streamdoctor.fixes.journal import CRASH_ENV, PAUSED_MARK, Transaction, load

ORIGINAL = b'{\n  "model": "opus",\n  "env": {"FOO": "bar"}\n}\n'

CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from fixreports import proxy_report
    from streamdoctor.fixes import get_fix
    get_fix("claude-code-proxy").apply(proxy_report())
    print("applied", flush=True)
""")


@pytest.fixture
def homes(tmp_path, monkeypatch):
    monkeypatch.setenv("STREAMDOCTOR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude"))
    settings = tmp_path / "claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_bytes(ORIGINAL)
    return settings


def _apply_in_child_and_kill_at(point: str) -> None:
    env = {**os.environ, CRASH_ENV: point}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(Path(__file__).parent)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # bounded: the child pauses at the hook within a second or two
            if line.startswith(PAUSED_MARK):
                assert line.split()[1] == point
                break
        else:
            raise AssertionError(f"child never reached {point}: exit {proc.wait()}")
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("point", ["journaled", "written"])
def test_a_crash_mid_apply_is_rolled_back_at_the_next_start(homes, point):
    _apply_in_child_and_kill_at(point)
    records = list_records()
    assert [r.state for r in records] == ["pending"]
    assert records[0].steps[0]["kind"] == "settings-env"  # a file step that can also undo by keys
    if point == "written":
        assert b"HTTPS_PROXY" in homes.read_bytes()  # the new file was in place when the process died
    else:
        assert homes.read_bytes() == ORIGINAL
    assert not list(homes.parent.glob(".*sd-tmp*"))  # no temp file left behind

    messages = recover_pending()  # what the CLI and the GUI call at start
    assert len(messages) == 1 and "rolled back" in messages[0]
    assert homes.read_bytes() == ORIGINAL
    assert [r.state for r in list_records()] == ["rolled-back"]
    assert recover_pending() == []  # nothing left to do the second time


def test_the_cli_recovers_at_start(homes):
    _apply_in_child_and_kill_at("written")
    proc = subprocess.run([sys.executable, "-m", "streamdoctor", "fix", "list"], capture_output=True, text=True,
                          timeout=60, env=dict(os.environ))
    assert proc.returncode == 0
    assert "An interrupted fix (Send Claude Code through the proxy this computer uses) was rolled back" in proc.stderr
    assert "rolled-back" in proc.stdout
    assert homes.read_bytes() == ORIGINAL


def test_the_journal_exists_before_the_change(homes):
    seen = {}
    with Transaction("claude-code-proxy", "t") as tx:
        seen["state"] = load(tx.record.id).state
        tx.write_file(homes, b"{}\n")
        seen["steps"] = load(tx.record.id).steps
    assert seen["state"] == "pending"
    assert seen["steps"][0]["backup"] and Path(seen["steps"][0]["backup"]).read_bytes() == ORIGINAL
    assert load(tx.record.id).state == "applied"


def test_a_failure_inside_the_transaction_undoes_what_was_done(homes, tmp_path):
    other = tmp_path / "new.txt"
    with pytest.raises(RuntimeError), Transaction("claude-code-proxy", "t") as tx:
        tx.write_file(homes, b"{}\n")
        tx.write_file(other, b"x")
        raise RuntimeError("boom")
    assert homes.read_bytes() == ORIGINAL and not other.exists()
    assert load(tx.record.id).state == "failed"


def test_undo_keeps_a_copy_when_the_file_changed_after_the_fix(homes):
    with Transaction("claude-code-proxy", "t") as tx:
        tx.write_file(homes, b'{"env": {}}\n')
    homes.write_bytes(b'{"env": {}, "theirs": 1}\n')
    from streamdoctor.fixes.journal import revert

    record = revert(tx.record.id)
    assert homes.read_bytes() == ORIGINAL
    kept = [n for n in record.notes if "had changed since the fix" in n]
    assert kept and Path(kept[0].rsplit(" ", 1)[1]).read_bytes() == b'{"env": {}, "theirs": 1}\n'


def test_atomic_write_keeps_mode_and_leaves_no_temp(tmp_path):
    target = tmp_path / "f.json"
    target.write_bytes(b"old")
    target.chmod(0o640)
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new" and target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_a_damaged_record_is_skipped_not_fatal(homes):
    with Transaction("claude-code-proxy", "t"):
        pass
    from streamdoctor.fixes.journal import journal_dir

    (journal_dir() / "broken.json").write_text("{not json")
    assert [r.state for r in list_records()] == ["applied"]
