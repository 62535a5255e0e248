"""Issue 14 item 4: no planted secret, in any form, in any output a user can see (leakcheck.py does the work)."""

from __future__ import annotations

import os
import stat

import pytest
from leakcheck import SECRETS, find_leaks, run_all

pytestmark = pytest.mark.timeout(400)


def test_no_planted_secret_reaches_any_output(tmp_path):
    outputs, commands = run_all(tmp_path)
    assert commands == 4
    # The runs really produced outputs with the planted inputs in play (else "no leak" would prove nothing).
    assert any(k.startswith("bundle ") for k in outputs) and any(k.startswith("log file") for k in outputs)
    assert '"reached_api"' in outputs["check --json (stdout)"]
    assert "[redacted" in outputs["check --json (stdout)"]  # something secret was there and was taken out
    assert find_leaks(outputs) == []
    assert not any("Traceback" in v for k, v in outputs.items() if "stderr" in k)
    # The same run's log files are private (one run: the planted inputs cost ~30 s).
    logs = list((tmp_path / "logs").glob("*.log"))
    assert logs
    for path in logs:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    assert stat.S_IMODE(os.stat(tmp_path / "logs").st_mode) == 0o700


def test_the_planted_secrets_are_distinct():
    assert len(set(SECRETS.values())) == len(SECRETS)
