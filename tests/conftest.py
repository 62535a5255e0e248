"""Suite-wide settings: Qt offscreen, a private app home per run, and no silent netlab skips in CI."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The suite reads English unless a test chooses a language (subprocesses inherit this; i18n/os_language.py).
os.environ["STREAMDOCTOR_LANG"] = "en"
# `from support.npm_clients import ...` from any test folder (tests/support is a package of shared helpers).
sys.path.insert(0, str(Path(__file__).resolve().parent))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "claude_code: runs a real Claude Code from the npm registry against the lab (CI runs these)")


@pytest.fixture(autouse=True, scope="session")
def _private_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Logs, journals and settings of the app under test never touch the real user folders.
    os.environ["STREAMDOCTOR_HOME"] = str(tmp_path_factory.mktemp("streamdoctor-home"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    # In CI (CI=true) the network lab must really run: a skipped netlab test fails the run instead.
    # So must the frozen-build tests, which make test runs only once the build exists.
    if report.skipped and (item.get_closest_marker("netlab") or item.get_closest_marker("frozen")) \
            and os.environ.get("CI") == "true":
        report.outcome = "failed"
        report.longrepr = f"netlab test skipped in CI: {report.longrepr}"
