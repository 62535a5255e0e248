"""`streamdoctor lab list | head -1`: the reader leaving early is not an "unexpected error" of ours."""

from __future__ import annotations

import os
import sys

import pytest

from streamdoctor.__main__ import EXIT_BROKEN_PIPE, main


def test_a_closed_pipe_ends_quietly(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line
    pipe = os.fdopen(write_end, "w", buffering=1)
    monkeypatch.setattr(sys, "stdout", pipe)
    try:
        assert main(["lab", "list"]) == EXIT_BROKEN_PIPE
    finally:
        monkeypatch.undo()
        pipe.close()
    assert "unexpected" not in capsys.readouterr().err
