"""The PAC evaluator's start-up is not charged to the PAC file: a slow start is not "an endless loop"."""

from __future__ import annotations

from streamdoctor.platform.pac import evaluate_pac

API = "https://api.anthropic.com/v1/messages"


def test_a_pac_that_loops_is_cut_at_its_own_budget_after_the_evaluator_started() -> None:
    result, why = evaluate_pac("function FindProxyForURL(u, h) { while (true) {} }", API, 1.0, 60.0)
    assert result is None
    assert why is not None and "did not answer within 1 s" in why


def test_an_evaluator_that_does_not_start_in_time_is_not_blamed_on_the_pac() -> None:
    result, why = evaluate_pac('function FindProxyForURL(u, h) { return "DIRECT"; }', API, 3.0, 0.001)
    assert result is None
    assert why is not None and "did not start" in why and "endless loop" not in why


def test_a_healthy_pac_answers() -> None:
    assert evaluate_pac('function FindProxyForURL(u, h) { return "DIRECT"; }', API) == ("DIRECT", None)
