"""Fixtures for the wizard tests: a wizard on a lab profile, and a walker that presses Next like a user."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("PySide6.QtWidgets", reason="the wizard tests need PySide6 and Qt's system libraries")

from streamdoctor.gui.app import lab_state  # noqa: E402
from streamdoctor.gui.pages import PageId  # noqa: E402
from streamdoctor.gui.wizard import StreamDoctorWizard  # noqa: E402

STEP_TIMEOUT_MS = 45_000


class MemoryKeyring:
    """A keyring backend in memory, so tests never touch the real keychain. `broken` makes every call fail
    like a locked or missing keychain does."""

    priority = 1

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}
        self.broken = False

    def _check(self) -> None:
        if self.broken:
            import keyring.errors

            raise keyring.errors.NoKeyringError("No recommended backend was available.")

    def get_password(self, service: str, user: str) -> str | None:
        self._check()
        return self.store.get((service, user))

    def set_password(self, service: str, user: str, password: str) -> None:
        self._check()
        self.store[(service, user)] = password

    def delete_password(self, service: str, user: str) -> None:
        self._check()
        import keyring.errors

        if self.store.pop((service, user), None) is None:
            raise keyring.errors.PasswordDeleteError("not found")


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> MemoryKeyring:
    from streamdoctor.gui import keystore

    backend = MemoryKeyring()
    monkeypatch.setattr(keystore, "backend", lambda: backend)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    return backend


@pytest.fixture
def make_wizard(qtbot: Any) -> Iterator[Callable[..., StreamDoctorWizard]]:
    """make_wizard("idle-reset", quick=True) -> a shown wizard on that lab profile (lab stopped afterwards)."""
    stack = contextlib.ExitStack()
    made: list[StreamDoctorWizard] = []

    def make(profile: str | None = "clean", quick: bool = True) -> StreamDoctorWizard:
        state = stack.enter_context(lab_state(profile))
        state.quick = quick
        wizard = StreamDoctorWizard(state)
        qtbot.addWidget(wizard)
        wizard.show()
        qtbot.waitExposed(wizard)
        made.append(wizard)
        return wizard

    with stack:
        yield make
        for wizard in made:
            assert wizard.shutdown(3000), "a worker was still running after shutdown"


def advance(qtbot: Any, wizard: StreamDoctorWizard) -> int:
    """Wait until the current page lets the user go on, press Next, return the new page id."""
    page = wizard.currentPage()
    try:
        qtbot.waitUntil(page.isComplete, timeout=STEP_TIMEOUT_MS)
    except Exception as exc:
        import faulthandler
        import sys

        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)  # where each thread is stuck
        status = getattr(getattr(page, "status", None), "text", lambda: "")()
        raise AssertionError(f"page {PageId(wizard.currentId()).name} never completed; it says: {status!r}; "
                             f"results so far: { {k: r.summary for k, r in wizard.state.results.items()} }") from exc
    before = wizard.currentId()
    wizard.next()
    assert wizard.currentId() != before, f"Next did not leave page {PageId(before).name}"
    return wizard.currentId()


def walk_to(qtbot: Any, wizard: StreamDoctorWizard, target: PageId) -> list[PageId]:
    visited = [PageId(wizard.currentId())]
    while wizard.currentId() != target:
        assert wizard.currentId() != PageId.SAVE, f"walked past {target.name}"
        visited.append(PageId(advance(qtbot, wizard)))
    return visited


@pytest.fixture
def next_page(qtbot: Any) -> Callable[[StreamDoctorWizard], int]:
    """next_page(wizard) -> the new page id: wait until the page allows it, press Next. A fixture, not an import
    of this module: under xdist another folder's conftest may own the name `conftest` in a worker."""
    return lambda wizard: advance(qtbot, wizard)


@pytest.fixture
def walk(qtbot: Any) -> Callable[[StreamDoctorWizard, PageId], list[PageId]]:
    """walk(wizard, PageId.RESULTS) -> the pages visited on the way, pressing Next when each allows it."""

    def run(wizard: StreamDoctorWizard, target: PageId) -> list[PageId]:
        return walk_to(qtbot, wizard, target)

    return run
