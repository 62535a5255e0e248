"""The Claude Code version table and the advice built on it (facts cited in data/claude_code.json)."""

from __future__ import annotations

import pytest

from streamdoctor import claude_versions as cv
from streamdoctor.claude_advice import (
    ClaudeCodeHere,
    first_byte_variable,
    proxy_url_problems,
    setting_effect,
    settings_flags,
    trust_advice,
)
from streamdoctor.diagnosis import diagnose
from streamdoctor.model import ProbeResult, Status

V = cv.parse_version


def test_every_entry_cites_a_source_and_the_table_loads():
    f = cv.facts()
    assert all(ph.source for phases in f.variables.values() for ph in phases)
    assert all(b.source.startswith(("changelog", "code")) for b in f.bugs)
    assert "2.1.197" in f.inspected


@pytest.mark.parametrize(("name", "version", "reads"), [
    ("CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS", "2.1.197", False),   # issue 17: setting it changed nothing
    ("CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS", "2.1.243", True),
    ("CLAUDE_CODE_CONNECT_TIMEOUT_MS", "2.1.184", True),
    ("CLAUDE_CODE_CONNECT_TIMEOUT_MS", "2.1.186", False),        # removed again
    ("CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS", "2.1.100", False),
    ("CLAUDE_STREAM_IDLE_TIMEOUT_MS", "2.1.83", False),           # arrived in 2.1.84
    ("NODE_OPTIONS", "2.1.100", True),
    ("NODE_OPTIONS", "2.1.332", False),                          # native builds are Bun
    ("API_TIMEOUT_MS", None, None),                               # unknown version: no guess
])
def test_which_version_reads_which_variable(name, version, reads):
    assert cv.reads(name, V(version)) is reads


def test_floors_and_scope():
    assert cv.effective_ms("CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS", V("2.1.197"), 8000)[0] == 10_000
    assert cv.effective_ms("CLAUDE_STREAM_IDLE_TIMEOUT_MS", V("2.1.197"), 60_000)[0] == 300_000
    assert cv.effective_ms("CLAUDE_STREAM_IDLE_TIMEOUT_MS", V("2.1.100"), 60_000)[0] == 60_000  # no floor yet
    gateway = ClaudeCodeHere(True, "2.1.197", base_url="https://llm-gw.corp.example")
    effect, why = setting_effect(gateway, "CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS", 45_000)
    assert effect is False and "only to api.anthropic.com" in why
    assert setting_effect(ClaudeCodeHere(True, "2.1.197"), "CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS", 45_000) == (True, "")


def test_first_byte_advice_names_what_the_version_reads():
    assert first_byte_variable(ClaudeCodeHere(True, "2.1.197")) == "API_TIMEOUT_MS"
    assert first_byte_variable(ClaudeCodeHere(True, "2.1.332")) == "CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS"
    assert "from Claude Code 2.1.243 on" in first_byte_variable(None)


def test_trust_store_advice_follows_2_1_101():
    assert "trusts the operating system" in trust_advice(ClaudeCodeHere(True, "2.1.197"))
    assert "only its bundled" in trust_advice(ClaudeCodeHere(True, "2.1.100"))


def test_known_bugs_name_the_fixing_version():
    bugs = cv.known_bugs(V("2.1.197"), "connection-closed-mid-response")
    assert {b.fixed_in for b in bugs} == {"2.1.198", "2.1.222"}
    assert cv.known_bugs(V("2.1.332")) == []
    assert cv.known_bugs(None) == []


@pytest.mark.parametrize(("url", "words"), [
    ("https://proxy.corp:8080", "http://HOST:PORT"),
    ("socks5://127.0.0.1:1080", "SOCKS"),
    ("http://bob:@proxy.corp:8080", "empty password"),
    ("http://CORP%5Cbob:pw@proxy.corp:8080", "NTLM"),
])
def test_proxy_urls_claude_code_cannot_use(url, words):
    assert any(words in s for s in proxy_url_problems("HTTPS_PROXY", url))


def test_good_proxy_url_has_no_problem():
    assert proxy_url_problems("HTTPS_PROXY", "http://bob:pw@proxy.corp:8080") == []


def test_rule_flags_what_2_1_197_ignores_and_managed_overrides():
    clients = {"claude_code": {"installed": True, "version": "2.1.197", "env": {
        "CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS": "30000", "CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS": "8000",
        "NODE_OPTIONS": "--max-old-space-size=4096", "HTTPS_PROXY": "http://proxy.corp:3128"},
        "env_origin": {"HTTPS_PROXY": "managed settings /etc/claude-code/managed-settings.json"}}}
    cc = ClaudeCodeHere(True, "2.1.197", clients["claude_code"]["env"], clients["claude_code"]["env_origin"])
    keys = [k for k, _ in settings_flags(cc)]
    assert keys == ["CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS", "CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS", "NODE_OPTIONS",
                    "managed"]
    verdict = diagnose([ProbeResult("env.clients", Status.OK, "scan", clients)])
    by_rule = {f.rule: f for f in verdict.findings}
    assert "does not read CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS" in by_rule["clients.claude-code-settings"].plain
    assert "fixed in 2.1.198" in by_rule["clients.claude-code-bugs"].plain


def test_the_default_api_timeout_written_out_is_flagged_with_its_side_effect():
    cc = ClaudeCodeHere(True, "2.1.197", {"API_TIMEOUT_MS": "600000"})
    (key, text), = settings_flags(cc)
    assert key == "API_TIMEOUT_MS" and "default already" in text and "non-streaming" in text
