"""Issue 15 item 9: a reset with no silence before it reads "while data was still arriving", in the GUI's words
as in the probe's summary (test_bounds.py checks the probe against a real reset)."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from streamdoctor.gui.words import stream_outcome  # noqa: E402


def test_reset_while_data_was_arriving():
    text = stream_outcome({"outcome": "reset", "total_s": 0.4, "silence_before_end_s": 0.0}, "x")
    assert "while data was still arriving" in text and "nothing had arrived" not in text


def test_reset_after_silence_keeps_the_silence():
    text = stream_outcome({"outcome": "reset", "total_s": 40.0, "silence_before_end_s": 30.0}, "x")
    assert "nothing had arrived for" in text


@pytest.mark.parametrize("outcome", ["keepalive_only", "bad_data", "budget_exceeded"])
def test_new_endings_have_words(outcome):
    assert stream_outcome({"outcome": outcome, "keepalive_only_s": 120.0}, "FALLBACK") != "FALLBACK"
