"""safeout: the redaction of terminal, JSON and log output (issue 14 item 4), on the values that leaked before."""

from __future__ import annotations

import base64
import logging

import pytest

from streamdoctor import safeout


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    monkeypatch.setattr(safeout, "_redactor", None)
    monkeypatch.setattr(safeout, "_extra", set())
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://me:BaseUrlPw99@gw.example.com")
    monkeypatch.setenv("HTTPS_PROXY", "http://pu:Pr%40xyPw77@proxy.example:3128")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-safeoutTESTkey123456")


def test_known_values_go_in_every_form():
    b64 = base64.b64encode(b"me:BaseUrlPw99").decode()
    text = (f"BaseUrlPw99 Pr%40xyPw77 Pr@xyPw77 {b64} sk-ant-api03-safeoutTESTkey123456 "
            "http://x:Pr%40xyPw77@h/ ?token=PacTok123456&auth_token=PacAuth654321")
    out = safeout.text(text)
    for secret in ("BaseUrlPw99", "Pr%40xyPw77", "Pr@xyPw77", b64, "safeoutTESTkey", "PacTok123456",
                   "PacAuth654321"):
        assert secret not in out
    assert "[redacted" in out


def test_runtime_url_secrets_are_learned():
    safeout.remember_url("https://u:Cli%2FOnlyPw55@gw2.example.com")
    out = safeout.text("seen Cli/OnlyPw55 and Cli%2FOnlyPw55")
    assert "OnlyPw55" not in out and "Cli/OnlyPw55" in safeout.remembered()


def test_json_keeps_structure_and_drops_cookies():
    doc = {"response_headers": [["set-cookie", "session=CookieVal123456; Path=/"]], "n": 3,
           "url": "https://me:BaseUrlPw99@gw.example.com/v1"}
    out = safeout.json_text(doc)
    import json

    back = json.loads(out)
    assert back["n"] == 3 and "CookieVal123456" not in out and "BaseUrlPw99" not in out


def test_log_lines_and_tracebacks_are_redacted():
    fmt = safeout.RedactingFormatter("%(message)s")
    try:
        raise ValueError("cannot reach https://me:BaseUrlPw99@gw.example.com")
    except ValueError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "args: %s", ("--base-url Pr@xyPw77",),
                                   sys.exc_info())
    line = fmt.format(record)
    assert "Traceback" in line and "BaseUrlPw99" not in line and "Pr@xyPw77" not in line
