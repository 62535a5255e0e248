"""The parts around the walk: the key and the keychain, live-update coalescing, the idle ladder fed with
synthetic progress, the Results page's Fix it / Undo flow, the crash dialog, and `--self-test`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QDialog

from streamdoctor import paths
from streamdoctor.gui import fixes_bridge
from streamdoctor.gui.dialogs.crash_dialog import CrashDialog, write_crash_bundle
from streamdoctor.gui.pages import PageId
from streamdoctor.gui.pages.stress import gaps_from_samples
from streamdoctor.gui.workers import ProbeRun
from streamdoctor.model import (
    Confidence,
    Evidence,
    Finding,
    FixPlan,
    Overall,
    ProbeResult,
    Severity,
    Status,
    Verdict,
)
from streamdoctor.probes.base import Progress

pytestmark = pytest.mark.gui
SECRET = "sk-ant-test-never-on-disk-1234567890"


def files_containing(root: Path, needle: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def test_key_goes_to_the_keychain_only_when_remembered(qtbot: Any, make_wizard: Any, memory_keyring: Any) -> None:
    wizard = make_wizard(None)
    wizard.next()
    setup = wizard.page(PageId.SETUP)
    setup.key_edit.setText(SECRET)
    assert setup.validatePage()
    assert wizard.state.api_key == SECRET and memory_keyring.store == {}
    setup.remember.setChecked(True)
    assert setup.validatePage()
    qtbot.waitUntil(lambda: not setup.keychain_writes, timeout=10_000)  # written in the pool
    assert list(memory_keyring.store.values()) == [SECRET]
    assert files_containing(Path(os.environ["STREAMDOCTOR_HOME"]), SECRET) == []


def test_a_broken_keychain_is_explained_not_fatal(qtbot: Any, make_wizard: Any, memory_keyring: Any) -> None:
    memory_keyring.broken = True
    wizard = make_wizard(None)
    wizard.next()
    setup = wizard.page(PageId.SETUP)
    qtbot.waitUntil(lambda: setup.key_task is None, timeout=10_000)  # the keychain is read in the pool
    assert not setup.remember.isEnabled()
    assert "no usable keychain" in setup.key_note.text()
    setup.key_edit.setText(SECRET)
    assert setup.validatePage() and wizard.state.api_key == SECRET


def test_remembered_key_is_filled_in(qtbot: Any, make_wizard: Any, memory_keyring: Any) -> None:
    memory_keyring.store[("streamdoctor", "anthropic-api-key")] = SECRET
    wizard = make_wizard(None)
    wizard.next()
    setup = wizard.page(PageId.SETUP)
    qtbot.waitUntil(lambda: setup.key_task is None, timeout=10_000)
    assert setup.key_edit.text() == SECRET and setup.remember.isChecked()
    setup.remember.setChecked(False)  # unticking forgets it
    assert setup.validatePage()
    qtbot.waitUntil(lambda: not setup.keychain_writes, timeout=10_000)
    assert memory_keyring.store == {}


def test_a_refused_save_is_said_and_the_key_still_used(qtbot: Any, make_wizard: Any, memory_keyring: Any) -> None:
    wizard = make_wizard(None)
    wizard.next()
    setup = wizard.page(PageId.SETUP)
    qtbot.waitUntil(lambda: setup.key_task is None, timeout=10_000)
    setup.key_edit.setText(SECRET)
    setup.remember.setChecked(True)
    memory_keyring.broken = True  # e.g. the user cancels the keychain's password prompt
    assert setup.validatePage() and wizard.state.api_key == SECRET
    qtbot.waitUntil(lambda: not setup.keychain_writes, timeout=10_000)
    assert "The keychain refused the key" in setup.key_note.text() and memory_keyring.store == {}


def test_a_slow_keychain_does_not_block_the_window(qtbot: Any, make_wizard: Any, memory_keyring: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A locked keychain can take a minute to answer (the OS asks for its password): the page shows that it is
    looking, the window keeps working, and a key typed meanwhile is not overwritten."""
    memory_keyring.store[("streamdoctor", "anthropic-api-key")] = SECRET
    release = threading.Event()
    entered = threading.Event()
    real_get = memory_keyring.get_password

    def slow_get(service: str, user: str) -> str | None:
        entered.set()
        release.wait(30)  # bounded: the test releases it below
        return real_get(service, user)

    monkeypatch.setattr(memory_keyring, "get_password", slow_get)
    wizard = make_wizard(None)
    wizard.next()
    setup = wizard.page(PageId.SETUP)
    qtbot.waitUntil(entered.is_set, timeout=10_000)
    assert "Looking for a remembered key" in setup.key_note.text()
    assert setup.key_task is not None and setup.key_edit.text() == ""  # next() returned while the read is stuck
    setup.key_edit.setText("sk-ant-typed-meanwhile")
    release.set()
    qtbot.waitUntil(lambda: setup.key_task is None, timeout=10_000)
    assert setup.key_edit.text() == "sk-ant-typed-meanwhile" and not setup.remember.isChecked()


class FloodProbe:
    """Emits progress as fast as it can (far beyond 5,000/s) to prove the GUI only sees a bounded number."""

    name, title, needs, quick = "flood", "Flood", (), True

    def __init__(self, count: int) -> None:
        self.count = count

    def run(self, ctx: Any, progress: Any, cancel: Any) -> ProbeResult:
        for i in range(self.count):
            progress(Progress(self.name, None, f"event {i}", {"i": i}))
        return ProbeResult(self.name, Status.OK, "done")


def test_progress_is_coalesced(qtbot: Any) -> None:
    from PySide6.QtCore import QThreadPool

    from streamdoctor.gui.workers import LiveUpdater
    from streamdoctor.probes import ProbeContext

    run = ProbeRun([FloodProbe(20_000)], ProbeContext())
    applied: list[Any] = []
    updater = LiveUpdater(run, applied.append)
    pool = QThreadPool()
    with qtbot.waitSignal(run.signals.finished, timeout=20_000):
        pool.start(run)
    updater.flush()
    assert pool.waitForDone(5_000)
    assert applied[-1].latest["flood"].data["i"] == 19_999, "the latest state is never lost"
    assert len(applied) < 200, f"{len(applied)} GUI updates for 20,000 events"
    assert sum(len(s.events) + s.dropped for s in applied) == 20_000 + 1  # + the runner's "starting"


def test_idle_ladder_with_synthetic_progress(qtbot: Any, make_wizard: Any) -> None:
    """The idle page drawn from the contract's progress shape alone (no probe needed)."""
    wizard = make_wizard("clean")
    page = wizard.page(PageId.IDLE)
    conns = [{"id": i, "hold_s": h, "state": s, "ended_s": e, "idle_s": e}
             for i, (h, s, e) in enumerate([(5, "alive", 5.0), (10, "alive", 10.0), (20, "reset", 20.0),
                                            (40, "waiting", None), (80, "waiting", None)])]
    page.show_data({"kind": "idle", "elapsed_s": 21.0, "connections": conns, "cut_estimate_s": 15.0})
    assert "cut after about 15 s" in page.outcome.text()
    assert "20 s silence: cut (reset)" in page.ladder.accessibleDescription()
    image = page.ladder.grab().toImage()
    assert not image.isNull()
    assert page.ladder.counts() == {"alive": 2, "cut": 1, "waiting": 2}
    many = [{"id": i, "hold_s": 1 + i, "state": "waiting"} for i in range(64)]
    page.ladder.resize(600, 300)
    page.show_data({"kind": "idle", "elapsed_s": 0.5, "connections": many, "cut_estimate_s": None})
    assert not page.ladder.grab().toImage().isNull()  # 64 thin rows still paint


def test_gaps_from_samples() -> None:
    assert gaps_from_samples([[0.5, 10, "ping"], [0.6, 20, "x"], [3.6, 5, "y"], ["bad"]]) == [
        (0.5, 0.5), (0.6, pytest.approx(0.1)), (3.6, pytest.approx(3.0))]


class FakeFix:
    id, title, needs_admin = "sdk-snippet", "Make the SDK retry", False

    def __init__(self) -> None:
        self.applied = threading.Event()
        self.reverted: list[str] = []

    def applies(self, report: Any) -> bool:
        return True

    def preview(self, report: Any) -> FixPlan:
        return FixPlan(self.id, self.title, "Adds a retry wrapper.", "+ retry()", needs_admin=False)

    def apply(self, report: Any) -> str:
        self.applied.set()
        return "record-1"

    def verify(self, report: Any, record_id: str) -> Any:
        class Outcome:
            ok, detail = True, "the stream completed"

        return Outcome()

    def revert(self, record_id: str) -> None:
        self.reverted.append(record_id)


def test_fix_it_previews_applies_and_undoes(qtbot: Any, make_wizard: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    fix = FakeFix()
    monkeypatch.setattr(fixes_bridge, "available_fix", lambda fix_id, report: fix if fix_id == fix.id else None)
    monkeypatch.setattr("streamdoctor.gui.pages.results.FixDialog.exec", lambda self: QDialog.DialogCode.Accepted)
    wizard = make_wizard("clean")
    finding = Finding("stream.cut", "idle-reset", Severity.PROBLEM, Confidence.HIGH, "Silent connections are reset",
                      "Your network cuts silent connections after 3 s.", [Evidence("Silence", 3.0, "s")],
                      ["sdk-snippet", "mtu"], ask_it="Please raise the idle timeout to 600 s.", failure_mode=1)
    monkeypatch.setattr(wizard.state, "verdict", lambda: Verdict(Overall.PROBLEM, finding.plain, [finding]))
    page = wizard.page(PageId.RESULTS)
    page.initializePage()
    card = page.cards[0]
    assert [b.text() for b in card.fix_buttons] == ["Fix it: Make the SDK retry"]  # "mtu" has no fix here
    card.fix_buttons[0].click()
    qtbot.waitUntil(lambda: card.undo_button.isVisibleTo(card), timeout=5_000)
    assert fix.applied.is_set() and "Fixed" in card.fix_status.text()
    card.undo_button.click()
    qtbot.waitUntil(lambda: fix.reverted == ["record-1"] and "Undone" in card.fix_status.text(), timeout=5_000)
    card.copy_ask_it()
    assert QApplication.clipboard().text() == "Please raise the idle timeout to 600 s."


def test_crash_dialog_copies_and_saves(qtbot: Any, tmp_path: Path) -> None:
    details = "Traceback (most recent call last):\nValueError: boom"
    dialog = CrashDialog(details)
    qtbot.addWidget(dialog)
    dialog.copy_details()
    assert QApplication.clipboard().text() == details
    paths.log_dir().mkdir(parents=True, exist_ok=True)
    (paths.log_dir() / "streamdoctor.log").write_text("a log line\n")
    target = write_crash_bundle(details, tmp_path / "crash.zip")
    with zipfile.ZipFile(target) as zf:
        assert zf.read("crash.txt").decode() == details
        assert "logs/streamdoctor.log" in zf.namelist()
    assert not list(tmp_path.glob("*.part"))


@pytest.mark.slow
def test_self_test_passes_silently() -> None:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "streamdoctor", "--self-test"], capture_output=True, text=True,
                          timeout=240, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout == ""
    assert time.monotonic() - started < 240


def test_gap_timeline_keeps_a_fixed_cost(qtbot: Any) -> None:
    from streamdoctor.gui.widgets.gap_timeline import BUCKETS, GapTimeline

    chart = GapTimeline()
    qtbot.addWidget(chart)
    chart.add_points([(i * 0.001, 0.001) for i in range(50_000)] + [(60.0, 7.5)])
    assert len(chart.buckets) == BUCKETS and chart.count == 50_001
    assert chart.longest == 7.5 and max(chart.buckets) == 7.5  # the long pause survives every merge
    assert chart.bucket_s * BUCKETS > 60.0
    assert "longest pause was 7.5 s" in chart.describe()


def test_headless_crash_hook_records_and_never_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamdoctor.gui import crash

    monkeypatch.setattr(crash, "headless", True)
    monkeypatch.setattr(crash, "headless_failures", [])
    exits: list[int] = []
    # The real exit() would also stop every later test's event processing in this process.
    monkeypatch.setattr(QApplication, "exit", exits.append)
    try:
        raise ValueError("boom")
    except ValueError as exc:
        crash._excepthook(ValueError, exc, exc.__traceback__)
    assert len(crash.headless_failures) == 1 and "ValueError: boom" in crash.headless_failures[0]
    assert exits == [1]


def test_fix_it_applies_and_undoes_a_real_fix(qtbot: Any, make_wizard: Any, monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    """The Results page drives the real streamdoctor.fixes: Claude Code's settings get the longer timeout, and
    Undo puts the user's file back byte for byte."""
    from streamdoctor.model import ProbeResult, Status

    settings = tmp_path / "settings.json"
    original = b'{\n    "model": "opus",\n    "env": {"HTTPS_PROXY": "http://proxy:3128"}\n}\n'
    settings.write_bytes(original)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path))
    monkeypatch.setattr("streamdoctor.gui.pages.results.FixDialog.exec", lambda self: QDialog.DialogCode.Accepted)
    wizard = make_wizard("clean")
    wizard.state.results["stream"] = ProbeResult("stream", Status.OK, "completed", {
        "outcome": "completed", "time_to_first_byte_s": 250.0, "limits": {"slow_first_byte_s": 2.0}})
    # 250 s: 3 x that is above Claude Code's 600 s default, so the fix has something real to write (issue 17).
    finding = Finding("stream.first-byte", "slow-first-byte", Severity.WARNING, Confidence.MEDIUM,
                      "Answers are slow to start", "The first byte of the answer took 250.0 s.",
                      [Evidence("Time to first byte", 250.0, "s")], ["claude-code-timeouts"], failure_mode=9)
    monkeypatch.setattr(wizard.state, "verdict", lambda: Verdict(Overall.PROBLEM, finding.plain, [finding]))
    page = wizard.page(PageId.RESULTS)
    page.initializePage()
    card = page.cards[0]
    assert len(card.fix_buttons) == 1
    card.fix_buttons[0].click()
    qtbot.waitUntil(lambda: card.undo_button.isVisibleTo(card), timeout=60_000)
    changed = settings.read_text()
    assert '"API_TIMEOUT_MS"' in changed and '"model": "opus"' in changed and "http://proxy:3128" in changed
    card.undo_button.click()
    qtbot.waitUntil(lambda: "Undone" in card.fix_status.text(), timeout=10_000)
    assert settings.read_bytes() == original
