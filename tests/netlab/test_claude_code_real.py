"""Real Claude Code (from the npm registry) against the lab, sealed in a network namespace of its own.

The product tells users which Claude Code settings to change; these tests run the real client to prove that
each change does what the product says, for the versions in support.npm_clients.CLAUDE_CODE_TESTED. Every run
happens in a namespace with only loopback (or a netlab scenario's private addresses), with a temporary HOME.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import netlab
from support.claude_sandbox import ClaudeSandbox, loopback_lab
from support.npm_clients import CLAUDE_CODE_PINNED, CLAUDE_CODE_TESTED, NpmInstallError, claude_code_command

pytestmark = [pytest.mark.netlab, pytest.mark.claude_code]

LAB_TEXT = "quick brown fox"  # every lab answer repeats this sentence


def _command(version: str) -> list[str]:
    try:
        return claude_code_command(version)
    except NpmInstallError as exc:
        pytest.skip(f"Claude Code {version} could not be installed: {exc}")


@pytest.fixture
def loopback(netlab_session: None) -> Iterator[Callable[..., netlab.Scenario]]:
    made: list[netlab.Scenario] = []

    def make(**kwargs: object) -> netlab.Scenario:
        sc = loopback_lab(**kwargs)  # type: ignore[arg-type]
        made.append(sc)
        return sc

    yield make
    for sc in reversed(made):
        sc.close()


@pytest.mark.parametrize("version", CLAUDE_CODE_TESTED)
def test_claude_code_answers_from_the_lab_and_nowhere_else(version: str, loopback: Callable[..., netlab.Scenario],
                                                            tmp_path: Path) -> None:
    sc = loopback()
    box = ClaudeSandbox(tmp_path, _command(version))
    run = box.run(sc, sc.api_url, timeout_s=40)
    # The sentence comes only from the lab's answer: Claude Code reached it through the sealed namespace.
    assert run.returncode == 0 and LAB_TEXT in run.stdout, run.describe()


def test_pinned_version_is_what_the_cache_holds() -> None:
    from support.npm_clients import installed_version

    try:
        assert installed_version(CLAUDE_CODE_PINNED) == CLAUDE_CODE_PINNED
    except NpmInstallError as exc:
        pytest.skip(str(exc))
