"""The whole wizard, walked like a user on the lab: the right pages are shown, the Results cards say what the
profile simulates, and the Save page produces a summary for IT."""

from __future__ import annotations

from typing import Any

import pytest

from streamdoctor.gui.pages import PageId
from streamdoctor.lab import get_profile
from streamdoctor.model import Overall, Severity

pytestmark = pytest.mark.gui


def card_causes(wizard: Any) -> set[str]:
    return {card.finding.cause for card in wizard.page(PageId.RESULTS).cards}


def test_quick_clean_check_goes_straight_to_a_healthy_result(make_wizard: Any, walk: Any) -> None:
    wizard = make_wizard("clean", quick=True)
    visited = walk(wizard, PageId.SAVE)
    # A quick check has no live tests, and nothing found means no idle test either.
    assert visited == [PageId.WELCOME, PageId.SETUP, PageId.SCAN, PageId.RESULTS, PageId.SAVE]
    assert wizard.state.report is not None and wizard.state.report.verdict.overall is Overall.HEALTHY
    assert wizard.page(PageId.RESULTS).light.label.text() == "All good"


def test_thorough_clean_check_visits_every_page(make_wizard: Any, walk: Any) -> None:
    wizard = make_wizard("clean", quick=False)
    visited = walk(wizard, PageId.SAVE)
    assert visited == [PageId.WELCOME, PageId.SETUP, PageId.SCAN, PageId.STRESS, PageId.IDLE, PageId.RESULTS,
                       PageId.SAVE]
    report = wizard.state.report
    assert report is not None and report.verdict.overall is Overall.HEALTHY
    results = wizard.page(PageId.RESULTS)
    assert results.light.label.text() == "All good"
    assert not any(c.finding.severity is Severity.PROBLEM for c in results.cards)
    stress = wizard.page(PageId.STRESS)
    assert stress.timeline.count > 0, "the gap timeline shows the arrivals"
    assert "The whole answer arrived" in stress.outcome.text()
    # Back is disabled after the commit page (fixes may have changed the machine).
    assert not wizard.button(wizard.WizardButton.BackButton).isEnabled()


@pytest.mark.parametrize("profile", ["idle-reset", "buffering", "rate-limited"])
def test_fault_profiles_show_their_finding(make_wizard: Any, walk: Any, profile: str) -> None:
    wizard = make_wizard(profile, quick=False)
    wizard.state.lab_overrides["idle_max_s"] = 4.0  # these profiles never cut silent connections: test less
    visited = walk(wizard, PageId.SAVE)
    assert PageId.STRESS in visited and PageId.IDLE in visited
    expect = get_profile(profile).expect
    assert expect in card_causes(wizard), f"{profile}: cards were {card_causes(wizard)}"
    card = next(c for c in wizard.page(PageId.RESULTS).cards if c.finding.cause == expect)
    assert card.light.label.text() in ("Problem", "Warning")
    assert card.finding.plain in [w.text() for w in card.findChildren(type(wizard.page(PageId.RESULTS).headline))]
    # "Why we think so" opens the evidence.
    assert not card.why.isVisibleTo(card)
    card.why_button.click()
    assert card.why.isVisibleTo(card) and "<li>" in card.why.text()
    assert wizard.state.report is not None and wizard.state.report.verdict.overall is Overall.PROBLEM
    summary_url = wizard.page(PageId.SAVE).mailto_url().toString()
    assert summary_url.startswith("mailto:") and "subject=" in summary_url
    if profile == "idle-reset":
        idle = wizard.page(PageId.IDLE)
        assert idle.ladder.connections, "every test connection is drawn"
        assert any(c.get("state") == "reset" for c in idle.ladder.connections)
        assert "cut after about" in idle.outcome.text()
        assert idle.light.label.text() == "Cut"


def test_without_a_key_there_is_no_stress_test(make_wizard: Any, walk: Any) -> None:
    wizard = make_wizard("clean", quick=False)
    wizard.state.api_key = ""
    visited = walk(wizard, PageId.IDLE)  # the idle test needs no key, so a thorough check still runs it
    assert PageId.STRESS not in visited
    scan = wizard.page(PageId.SCAN)
    stream_row = scan.items["stream"]
    assert "Skipped" in stream_row.text(0) and "API key" in stream_row.text(2)
