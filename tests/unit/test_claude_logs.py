"""Claude Code's own logs (captured from real 2.1.197 runs, tests/fixtures/claude_code/logs/README.md)."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from streamdoctor.cli import main
from streamdoctor.diagnosis import diagnose
from streamdoctor.probes.claude_logs import debug_lines, read_claude_logs

LOGS = Path(__file__).resolve().parent.parent / "fixtures" / "claude_code" / "logs"


def _fresh(tmp_path: Path, name: str) -> Path:
    """A copy of a captured config dir with today's file times (the reader skips logs older than two weeks)."""
    dest = tmp_path / name
    shutil.copytree(LOGS / name, dest)
    now = time.time()
    for p in dest.rglob("*"):
        os.utime(p, (now, now))
    return dest


def test_a_midstream_reset_shows_as_a_fallback_to_non_streaming(tmp_path):
    r = read_claude_logs(_fresh(tmp_path, "midstream-reset"))
    assert r.data["fallbacks"] == 1 and r.data["debug_files"] == 1
    assert [x["line"] for x in r.data["lines"]][0].endswith(
        "Error streaming, falling back to non-streaming mode: The socket connection was closed unexpectedly. "
        "For more information, pass `verbose: true` in the second argument to fetch()")
    finding = {f.rule: f for f in diagnose([r]).findings}["clients.claude-code-logs"]
    assert "retried without streaming 1 time" in finding.plain


def test_overload_retries_and_the_error_the_user_saw(tmp_path):
    r = read_claude_logs(_fresh(tmp_path, "overloaded"))
    assert r.data["codes"] == ["529"]
    assert len(r.data["lines"]) == 5 and r.data["user_errors"][0].endswith(
        "API Error: 529 Overloaded. This is a server-side issue, usually temporary — try again in a moment. "
        "If it persists, check your inference gateway (127.0.0.1:8080).")


def test_stall_lines_in_the_wording_of_claude_codes_code():
    # 2.1.100 cli.js: `Streaming stall detected: ${(gap/1000).toFixed(1)}s gap between events (stall #${n})`
    line = "2026-11-30T10:00:00.000Z [WARN] Streaming stall detected: 54.4s gap between events (stall #1)"
    assert debug_lines(line + "\n2026-11-30T10:00:01.000Z [DEBUG] Cleared proxy agent cache") == [line]


def test_old_logs_and_no_logs_say_so(tmp_path):
    old = _fresh(tmp_path, "overloaded")
    r = read_claude_logs(old, now=time.time() + 30 * 24 * 3600)
    assert r.data["lines"] == [] and "No Claude Code logs" in r.summary


def test_secrets_in_log_lines_are_redacted(tmp_path):
    base = tmp_path / "cfg"
    (base / "debug").mkdir(parents=True)
    key = "sk-ant-api03-abcDEF123_xyz-abcdefghijklmnopqrstuvwxyz0123456789AA"
    (base / "debug" / "s.txt").write_text(f"2026-11-30T10:00:00Z [ERROR] API error (attempt 1/3): 401 key {key}\n")
    r = read_claude_logs(base)
    assert r.data["lines"] and key[:20] not in json.dumps(r.data)


def test_cli_reads_logs_only_with_consent(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(_fresh(tmp_path, "midstream-reset")))
    assert main(["check", "--lab", "clean", "--quick", "--json"]) == 0
    assert "claude.logs" not in {r["probe"] for r in json.loads(capsys.readouterr().out)["results"]}
    main(["check", "--lab", "clean", "--quick", "--json", "--read-client-logs"])
    report = json.loads(capsys.readouterr().out)
    logs = next(r for r in report["results"] if r["probe"] == "claude.logs")
    assert logs["data"]["fallbacks"] == 1
    assert "clients.claude-code-logs" in {f["rule"] for f in report["verdict"]["findings"]}
