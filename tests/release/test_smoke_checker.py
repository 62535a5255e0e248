"""The checker behind the frozen binary's smoke test (packaging/smoke_test.py), on stand-in executables.

The smoke test itself runs on the real build in `make test` (scripts/run_tests.sh: the build beside the suite,
then the smoke test on the tar.gz and the .deb); these tests make sure that a checker that could never fail
would be noticed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from support.repo_scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
smoke = load_script("packaging/smoke_test.py")

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="the stand-in executable is a shell script")


def _stand_in(tmp_path: Path, body: str) -> Path:
    exe = tmp_path / "stand-in"
    exe.write_text("#!/bin/sh\n" + body + "\n", encoding="ascii")
    exe.chmod(0o755)
    return exe


@posix_only
def test_smoke_check_fails_on_an_unexpected_stderr_line(tmp_path: Path) -> None:
    exe = _stand_in(
        tmp_path, "echo 'streamdoctor 0.1.0'; echo 'qt.qpa.plugin: Could not load the Qt platform plugin' >&2"
    )
    outcome = smoke.run(exe, ["--version"], "stand-in", {}, 30)
    assert not outcome.ok
    assert "Could not load the Qt platform plugin" in outcome.detail


@posix_only
def test_smoke_check_fails_on_a_nonzero_exit_and_passes_a_clean_run(tmp_path: Path) -> None:
    failing = _stand_in(tmp_path, "exit 3")
    assert "exit 3" in smoke.run(failing, [], "stand-in", {}, 30).detail
    clean = tmp_path / "clean"
    clean.write_text('#!/bin/sh\necho "streamdoctor 0.1.0 $STREAMDOCTOR_HOME"\n', encoding="ascii")
    clean.chmod(0o755)
    outcome = smoke.run(clean, ["--version"], "clean", {}, 30)
    assert outcome.ok, outcome.detail
    assert "sd-smoke-" in outcome.detail  # every check runs with a private STREAMDOCTOR_HOME


@posix_only
@pytest.mark.parametrize(
    ("stream", "ok"),
    [
        ({"outcome": "completed", "events": {"message_stop": 1}, "stop_reason": "end_turn", "text_events": 200}, True),
        ({"outcome": "failed", "events": {}, "stop_reason": None, "text_events": 0}, False),
        ({"outcome": "completed", "events": {"message_stop": 0}, "stop_reason": "end_turn", "text_events": 3}, False),
    ],
)
def test_the_streamed_answer_check_needs_a_whole_answer(tmp_path: Path, stream: dict, ok: bool) -> None:
    report = {"results": [{"probe": "stream", "summary": "s", "data": stream}]}
    (tmp_path / "report.json").write_text(json.dumps(report), encoding="utf-8")
    exe = _stand_in(tmp_path, f"cat '{tmp_path / 'report.json'}'")
    outcome = smoke.check_streamed_answer(exe, "stand-in")
    assert outcome.ok is ok, outcome.detail


@posix_only
def test_the_streamed_answer_check_fails_on_output_that_is_not_a_report(tmp_path: Path) -> None:
    exe = _stand_in(tmp_path, "echo 'No module named anthropic'")
    outcome = smoke.check_streamed_answer(exe, "stand-in")
    assert not outcome.ok
    assert "no stream result" in outcome.detail
