"""The wizard in every language (issue 20): no unmarked text on any page, German and Japanese read and write
numbers their own way, the language menu saves and rebuilds, Qt's own buttons follow, every page fits 1024x700,
and the report for IT can be written in English from a German wizard.

The pseudo-language wraps every translated text in ⟦ ⟧, so a text that reaches the screen without `_()` shows up
here as a text without brackets. Texts that come from the core (probe titles and summaries, findings, the verdict)
are the core's to mark and are left out of the GUI's check.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QTableWidget,
    QTreeWidget,
    QWidget,
    QWizard,
    QWizardPage,
)

from streamdoctor import i18n
from streamdoctor.gui import words
from streamdoctor.gui.app import choose_language
from streamdoctor.gui.buttons import name_standard_buttons
from streamdoctor.gui.pages import PageId
from streamdoctor.gui.pages.save import summary_of, write_bundle
from streamdoctor.gui.state import WizardState
from streamdoctor.gui.wizard import StreamDoctorWizard
from streamdoctor.i18n import os_language
from streamdoctor.model import Confidence, Finding, Overall, Report, Severity, Verdict

pytestmark = pytest.mark.gui
OPEN, CLOSE = "⟦", "⟧"
SCREEN = (1024, 700)  # the smallest screen the wizard must fit (issue 20)
LANGUAGES = ("en", "de", "fr", "es", "ja", "zh_CN", "pt_BR", i18n.PSEUDO)


@pytest.fixture
def language() -> Iterator[Any]:
    """set(code): the process's language for this test; English again afterwards (the suite runs in English)."""
    yield i18n.set_language
    i18n.set_language(i18n.SOURCE)


@pytest.fixture(autouse=True)
def catalogs_built() -> None:
    if set(i18n.available()) != set(i18n.SUPPORTED):
        pytest.fail("the compiled catalogs are missing: run packaging/build_translations.py")


def core_texts(wizard: StreamDoctorWizard) -> set[str]:
    """Texts the core made (the GUI only shows them): the verdict, findings, evidence, probe titles and summaries."""
    out: set[str] = set()
    state = wizard.state
    for r in state.results.values():
        out |= {r.summary, *(e.text() for e in r.evidence)}
    from streamdoctor.probes import all_probes

    out |= {p.title for p in all_probes()}
    report = state.report
    if report is not None:
        out.add(report.verdict.headline)
        for f in report.verdict.findings:
            out |= {f.title, f.plain, f.ask_it, *(e.text() for e in f.evidence)}
    return {t for t in out if t}


def shown_texts(page: QWidget) -> list[tuple[str, str]]:
    """(where, text) for every text a user can see or a screen reader says on `page`."""
    found: list[tuple[str, str]] = []

    def add(where: str, text: str | None) -> None:
        if text and any(ch.isalpha() for ch in text):
            found.append((where, text))

    if isinstance(page, QWizardPage):
        add("title", page.title())
        add("subtitle", page.subTitle())
    for w in page.findChildren(QWidget):
        if not w.isVisibleTo(page):
            continue
        name = type(w).__name__
        add(f"{name} accessible name", w.accessibleName())
        add(f"{name} tooltip", w.toolTip())
        if isinstance(w, QLabel):
            add("label", w.text())
        elif isinstance(w, QAbstractButton):
            add("button", w.text())
        elif isinstance(w, QGroupBox):
            add("group", w.title())
        elif isinstance(w, QLineEdit):
            add("placeholder", w.placeholderText())
        elif isinstance(w, QProgressBar):
            add("progress format", w.format())
        elif isinstance(w, QTreeWidget):
            header = w.headerItem()
            for col in range(w.columnCount()):
                add("tree header", header.text(col))
            for i in range(w.topLevelItemCount()):
                add("tree status", w.topLevelItem(i).text(0))
        elif isinstance(w, QTableWidget):
            for col in range(w.columnCount()):
                item = w.horizontalHeaderItem(col)
                add("table header", item.text() if item is not None else "")
    return found


# Shown on screen but not translatable: an example address, the languages' own names, the user's error examples
NOT_TRANSLATED = {"https://claude-gateway.example.com", *i18n.NATIVE_NAMES.values()}


def unmarked(page: QWidget, core: set[str]) -> list[str]:
    bad = []
    for where, text in shown_texts(page):
        if OPEN in text or text in NOT_TRANSLATED or any(c in text for c in core):
            continue
        bad.append(f"{where}: {text!r}")
    return bad


def test_pseudo_language_marks_every_text_on_every_page(qtbot: Any, make_wizard: Any, walk: Any,
                                                        language: Any) -> None:
    language(i18n.PSEUDO)
    wizard = make_wizard("clean", quick=True)
    problems: list[str] = []
    for which in (QWizard.WizardButton.NextButton, QWizard.WizardButton.CancelButton):
        if OPEN not in wizard.button(which).text():
            problems.append(f"wizard button {wizard.button(which).text()!r}")
    if OPEN not in wizard.windowTitle():
        problems.append(f"window title {wizard.windowTitle()!r}")
    seen = []
    while True:
        page = wizard.currentPage()
        seen.append(PageId(wizard.currentId()))
        qtbot.waitUntil(page.isComplete, timeout=60_000)  # test pages: their outcome texts are shown too
        problems += [f"{seen[-1].name} {p}" for p in unmarked(page, core_texts(wizard))]
        if wizard.currentId() == PageId.SAVE:
            break
        walk(wizard, PageId(wizard.nextId()))
    assert PageId.RESULTS in seen and PageId.SCAN in seen
    assert not problems, "texts without the pseudo-language's brackets (not marked with _()):\n" + "\n".join(problems)


class NamedFix:
    """What a FindingCard reads from a fix: its id and title (the fix's own words are the core's)."""

    id = "sdk-retry"
    title = "core title"


def test_dialogs_card_tray_and_watch_window_in_pseudo_language(qtbot: Any, language: Any) -> None:
    from streamdoctor.gui.dialogs.crash_dialog import CrashDialog
    from streamdoctor.gui.dialogs.fix_dialog import FixDialog
    from streamdoctor.gui.watch_tray import WatchTray
    from streamdoctor.gui.watch_window import WatchWindow
    from streamdoctor.gui.widgets.finding_card import FindingCard
    from streamdoctor.model import Evidence, FixPlan

    language(i18n.PSEUDO)
    plan = FixPlan("sdk-retry", "core title", "core description", "core preview", needs_admin=True)
    finding = Finding("r", "c", Severity.WARNING, Confidence.HIGH, "core title", "core plain",
                      [Evidence("core label", 1.0)], ["sdk-retry"], ask_it="core ask")
    core = {"core title", "core description", "core preview", "core plain", "core ask", "core label"}
    problems = []
    for widget in (FixDialog(plan), CrashDialog("Traceback: core details"), WatchWindow(),
                   FindingCard(finding, [NamedFix()])):
        qtbot.addWidget(widget)
        if widget.windowTitle() and OPEN not in widget.windowTitle():
            problems.append(f"{type(widget).__name__} title {widget.windowTitle()!r}")
        problems += [f"{type(widget).__name__} {p}" for p in unmarked(widget, core | {"Traceback: core details"})]
    tray = WatchTray()
    problems += [f"tray menu {a.text()!r}" for a in tray.menu.actions() if a.text() and OPEN not in a.text()]
    if OPEN not in tray.tray.toolTip():
        problems.append(f"tray tooltip {tray.tray.toolTip()!r}")
    assert not problems, problems


def test_live_test_pages_outcomes_in_pseudo_language(qtbot: Any, language: Any) -> None:
    """The stress and idle pages (not on the quick walk above) with a cut shown, as after a real run."""
    from streamdoctor.model import ProbeResult, Status

    language(i18n.PSEUDO)
    wizard = StreamDoctorWizard(WizardState())
    qtbot.addWidget(wizard)
    stress, idle = wizard.page(PageId.STRESS), wizard.page(PageId.IDLE)
    stress.after_run([ProbeResult("stream", Status.FAIL, "core summary",
                                  {"outcome": "reset", "total_s": 40.0, "silence_before_end_s": 30.0, "bytes": 5000})])
    idle.after_run([ProbeResult("idle", Status.FAIL, "core summary",
                                {"cut_s": 30.0, "bracket": [25.0, 35.0], "max_tested_s": 40.0,
                                 "connections": [{"hold_s": 20.0, "state": "alive"},
                                                 {"hold_s": 40.0, "state": "reset", "idle_s": 30.0}]})])
    problems = [f"{name} {p}" for name, page in (("STRESS", stress), ("IDLE", idle))
                for p in unmarked(page, {"core summary"})]
    ladder = idle.ladder.describe()
    assert OPEN in ladder and "⟦" in stress.outcome.text() and OPEN in idle.outcome.text()
    assert not problems, problems
    assert wizard.shutdown(3000)


def test_words_in_pseudo_language_are_marked(language: Any) -> None:
    language(i18n.PSEUDO)
    texts = [words.error_text(PermissionError(13, "denied", "/x")), words.error_text(RuntimeError("x")),
             words.seconds(2.5), words.seconds(300), words.byte_count(2_000_000), words.byte_count(1),
             *(words.status_words(s)[1] for s in words.Status), *(words.severity_words(s)[0] for s in Severity),
             *(words.idle_state_words(s)[0] for s in ("waiting", "alive", *words.IDLE_ENDED)),
             *(words.idle_ended_words(s, 30.0) for s in words.IDLE_ENDED)]
    texts += [words.stream_outcome({"outcome": o, "total_s": 3.0, "http_status": 529}, "fallback") for o in
              ("completed", "reset", "keepalive_only", "bad_data", "budget_exceeded", "closed", "stalled",
               "first_byte_timeout", "http_error", "sse_error", "not_api", "connect_failed", "cancelled")]
    assert all(t.startswith(OPEN) and t.endswith(CLOSE) for t in texts), [t for t in texts if OPEN not in t]


def test_german_and_japanese_words_and_numbers(language: Any) -> None:
    language("de")
    assert words.seconds(2.5) == "2,5 s"
    assert words.byte_count(1536) == "1,5 KB"
    said = words.stream_outcome({"outcome": "completed", "total_s": 2.5}, "x")
    assert said == "Die ganze Antwort ist Stück für Stück in 2,5 s angekommen."
    assert words.status_words(words.Status.FAIL)[1] == "Problem"
    language("ja")
    assert words.seconds(2.5) == "2.5 秒"
    assert words.stream_outcome({"outcome": "stalled", "silence_before_end_s": 42.0}, "x") == \
        "回答が届かなくなりました: 42 秒 の間何も届きませんでした。"


def test_relocalize_gives_the_english_text_back(language: Any) -> None:
    language("de")
    said = words.stream_outcome({"outcome": "reset", "total_s": 40.0, "silence_before_end_s": 30.0}, "x")
    assert "getrennt" in said and "40 s" in said
    english = i18n.relocalize(said, "en")
    assert english == "The connection was cut (a reset) after 40 s, when nothing had arrived for 30 s."
    assert i18n.relocalize(words.seconds(2.5), "en") == "2.5 s"


def test_wizard_in_german_and_japanese(qtbot: Any, language: Any) -> None:
    for code, title, next_text, number in (("de", "Warum brechen Claudes Antworten ab?", "&Weiter >", "2,5 s"),
                                           ("ja", "Claude の応答が途切れるのはなぜ?", "次へ(&N) >", "2.5 秒")):
        language(code)
        wizard = StreamDoctorWizard(WizardState())
        qtbot.addWidget(wizard)
        assert wizard.page(PageId.WELCOME).title() == title
        assert wizard.button(QWizard.WizardButton.NextButton).text() == next_text
        stress = wizard.page(PageId.STRESS)
        stress.elapsed.set(words.seconds(2.5))
        assert stress.elapsed.value.text() == number
        assert wizard.shutdown(3000)


def test_message_box_buttons_follow_the_language(qtbot: Any, language: Any) -> None:
    language("fr")
    box = QMessageBox(QMessageBox.Icon.Warning, "t", "x",
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    name_standard_buttons(box)
    assert sorted(b.text() for b in box.buttons()) == ["&Non", "&Oui"]


def test_language_menu_saves_and_rebuilds(qtbot: Any, language: Any) -> None:
    language("en")
    wizard = StreamDoctorWizard(WizardState())
    qtbot.addWidget(wizard)
    wizard.show()
    welcome = wizard.page(PageId.WELCOME)
    old_setup = wizard.page(PageId.SETUP)
    assert welcome.language.currentData() == "en"
    welcome.language.setCurrentIndex(welcome.language.findData("es"))
    qtbot.waitUntil(lambda: wizard.page(PageId.WELCOME) is not welcome, timeout=5000)
    assert i18n.current() == "es" and os_language.saved_language() == "es"
    assert wizard.page(PageId.WELCOME).title() == "¿Por qué se cortan las respuestas de Claude?"
    assert wizard.page(PageId.SETUP) is not old_setup and wizard.page(PageId.SETUP).title() == \
        "Algunas opciones antes de empezar"
    assert wizard.button(QWizard.WizardButton.NextButton).text() == "&Siguiente >"
    assert wizard.currentId() == PageId.WELCOME
    assert wizard.page(PageId.WELCOME).language.currentData() == "es"
    assert wizard.shutdown(3000)
    (Path(os_language.paths.config_dir()) / os_language.SAVED_FILE).unlink()


def test_language_at_start_follows_the_option_then_the_os(monkeypatch: pytest.MonkeyPatch, language: Any) -> None:
    monkeypatch.setenv(os_language.ENV, "pt-BR")
    assert choose_language() == "pt_BR" and i18n.current() == "pt_BR"
    monkeypatch.delenv(os_language.ENV)
    assert os_language.saved_language() is None
    assert choose_language(["zh-Hans-CN", "en-US"]) == "zh_CN"  # the OS's list, as Qt gives it on macOS
    assert choose_language(["zh-Hant-TW", "fr-CA"]) == "fr"  # no Traditional Chinese catalog: the next one


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_page_fits_the_small_screen(qtbot: Any, language: Any, code: str) -> None:
    """Each page's content, laid out at the width a 1024x700 window gives it, needs no more room than there is
    (long German words, CJK): wrapped labels grow down, nothing has a fixed width that forces the window wider."""
    language(code)
    wizard = StreamDoctorWizard(WizardState())
    qtbot.addWidget(wizard)
    wizard.resize(*SCREEN)
    wizard.show()
    qtbot.waitExposed(wizard)
    area = wizard.currentPage()
    width, height = area.width(), area.height()
    assert wizard.width() <= SCREEN[0] and wizard.height() <= SCREEN[1]
    too_big = []
    for page_id, page in wizard.pages.items():
        layout = page.layout()
        need_w = layout.totalMinimumSize().width()
        need_h = (layout.totalHeightForWidth(width) if layout.hasHeightForWidth()
                  else layout.totalMinimumSize().height())
        if need_w > width or need_h > height:
            too_big.append(f"{page_id.name}: needs {need_w}x{need_h}, has {width}x{height}")
    assert not too_big, too_big
    assert wizard.shutdown(3000)


def german_report() -> Report:
    """A report whose texts were made in German by the GUI's own catalog (as the core's will be)."""
    i18n.set_language("de")
    finding = Finding("x.rule", "idle-reset", Severity.PROBLEM, Confidence.HIGH,
                      i18n._("Silent connections are cut after about {t}.", t=words.seconds(30.0)),
                      i18n._("The answer stopped arriving: nothing came for {s}.", s=words.seconds(30.0)))
    return Report({"base_url": "https://api.anthropic.com"}, [],
                  Verdict(Overall.PROBLEM, i18n._("Problem found"), [finding]), app_version="test")


def test_report_for_it_in_english_from_a_german_wizard(tmp_path: Path, language: Any) -> None:
    report = german_report()
    assert "Stille Verbindungen werden nach etwa 30 s getrennt." in summary_of(report)
    english = summary_of(report, english=True)
    assert "Silent connections are cut after about 30 s." in english and "Stille" not in english
    assert i18n.current() == "de"  # the wizard keeps its language
    zipped = write_bundle(report, tmp_path / "en", redact_user=True, pseudonymize_hosts=False, english=True)
    with zipfile.ZipFile(zipped) as zf:
        text = "\n".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist()
                         if n.endswith(("summary.txt", "report.html")))
    assert "Silent connections are cut after about 30 s." in text and "Stille Verbindungen" not in text
    zipped = write_bundle(report, tmp_path / "de", redact_user=True, pseudonymize_hosts=False)
    with zipfile.ZipFile(zipped) as zf:
        text = "\n".join(zf.read(n).decode("utf-8", "replace") for n in zf.namelist() if n.endswith("summary.txt"))
    assert "Stille Verbindungen werden nach etwa 30 s getrennt." in text


def test_english_choice_is_remembered_in_the_session(qtbot: Any, language: Any) -> None:
    state = WizardState()
    wizard = StreamDoctorWizard(state)
    qtbot.addWidget(wizard)
    save = wizard.page(PageId.SAVE)
    assert not save.english.isChecked() and not state.report_in_english
    save.english.setChecked(True)
    assert state.report_in_english
    assert wizard.shutdown(3000)
