"""The frozen binary's smoke test (packaging/smoke_test.py), run when dist/ holds a build that `make dist` made.

Without a build, or with one older than the source, the test is skipped with the reason: building takes minutes
of CPU and is not part of `make test`. The checker's own tests below always run, on a stand-in executable, so a
smoke test that could never fail would be noticed.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("smoke_test", ROOT / "packaging" / "smoke_test.py")
assert _spec and _spec.loader
smoke = importlib.util.module_from_spec(_spec)
sys.modules["smoke_test"] = smoke
_spec.loader.exec_module(smoke)

BINARY: Path = smoke.default_binary()
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


def _build_is_stale() -> bool:
    built = BINARY.stat().st_mtime
    return any(p.stat().st_mtime > built for p in (ROOT / "src" / "streamdoctor").rglob("*.py"))


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_frozen_build_passes_the_smoke_test() -> None:
    if not BINARY.is_file():
        pytest.skip(f"no frozen build at {BINARY.relative_to(ROOT)} (`make dist` builds one)")
    if _build_is_stale():
        pytest.skip(f"{BINARY.relative_to(ROOT)} is older than the source; `make dist` rebuilds it")
    xcb = sys.platform.startswith("linux") and shutil.which("Xvfb") is not None
    outcomes = smoke.check_binary(BINARY, "build", gui=smoke.gui_in_source(), xcb=xcb)
    failed = [o for o in outcomes if not o.ok]
    assert not failed, "\n".join(f"{o.name}: {o.detail}" for o in failed)
    assert len(outcomes) >= 3  # --version, check --lab clean and at least one more ran
