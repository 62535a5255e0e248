"""Claude Code settings fixes round-trip on a real file: preview, apply, verify, undo to the exact bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fixreports import make_root_pem, proxy_report, report

from streamdoctor.fixes import get_fix, list_records
from streamdoctor.fixes.journal import FixError
from streamdoctor.fixes.settings_json import SettingsUnreadableError

ORIGINAL = ('{\n\t"model": "opus",\n\t"env": {\n\t\t"NO_PROXY": "intranet.corp.example",\n\t\t"FOO": "bar"\n\t},\n'
            '\t"hooks": {"PreToolUse": []}\n}\n')


@pytest.fixture
def claude_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("STREAMDOCTOR_HOME", str(tmp_path / "home"))
    d = tmp_path / "claude"
    d.mkdir()
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(d))
    return d


def test_proxy_fix_merges_verifies_and_undoes_exactly(claude_dir):
    settings = claude_dir / "settings.json"
    settings.write_text(ORIGINAL)
    fix = get_fix("claude-code-proxy")
    rep = proxy_report()
    assert fix.applies(rep)
    plan = fix.preview(rep)
    assert '+\t\t"HTTPS_PROXY": "http://proxy.corp.example:8080"' in plan.preview
    assert '+\t\t"NO_PROXY": "intranet.corp.example,localhost,127.0.0.1,::1",' in plan.preview
    assert settings.read_text() == ORIGINAL

    record_id = fix.apply(rep)
    data = json.loads(settings.read_text())
    assert data["model"] == "opus" and data["hooks"] == {"PreToolUse": []} and data["env"]["FOO"] == "bar"
    assert data["env"]["HTTPS_PROXY"] == "http://proxy.corp.example:8080"
    assert settings.read_text().startswith('{\n\t"model"')  # tabs kept
    outcome = fix.verify(rep, record_id)
    assert outcome.ok, outcome.detail

    fix.revert(record_id)
    assert settings.read_bytes() == ORIGINAL.encode()
    assert [r.state for r in list_records()] == ["reverted"]
    with pytest.raises(FixError, match="not applied"):
        fix.revert(record_id)


def test_a_missing_settings_file_is_created_and_undo_removes_it(claude_dir):
    fix = get_fix("claude-code-timeouts")
    rep = report({"stream": {"outcome": "completed", "time_to_first_byte_s": 250.0}}, {"slow-first-byte": []})
    record_id = fix.apply(rep)
    settings = claude_dir / "settings.json"
    assert json.loads(settings.read_text()) == {"env": {"API_TIMEOUT_MS": "750000"}}  # 3 x 250 s
    assert settings.stat().st_mode & 0o777 == 0o600
    fix.revert(record_id)
    assert not settings.exists()


def _clients(version: str | None, base_url: str | None = None) -> dict:
    env = {"ANTHROPIC_BASE_URL": base_url} if base_url else {}
    return {"claude_code": {"installed": True, "version": version, "env": env, "env_origin": {}}}


def test_timeouts_for_a_silent_drop_and_a_short_custom_limit(claude_dir):
    (claude_dir / "settings.json").write_text('{"env": {"API_TIMEOUT_MS": "30000", '
                                              '"CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS": "5000"}}')
    rep = report({"stream": {"outcome": "completed", "time_to_first_byte_s": 4.0},
                  "idle": {"cut_s": 30.0, "ending": "drop", "bracket": [25, 35]},
                  "env.clients": _clients("2.1.332")})
    fix = get_fix("claude-code-timeouts")
    assert fix.applies(rep)
    fix.apply(rep)
    env = json.loads((claude_dir / "settings.json").read_text())["env"]
    # The user's 30 s limit is removed (600 s default is enough; writing 600000 would also double the
    # non-streaming retry limit); 2.1.332 reads the first-byte limit; its byte watchdog runs on api.anthropic.com.
    assert env == {"CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS": "12000", "CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS": "45000"}


def test_timeouts_never_write_what_claude_code_2_1_197_ignores_behind_a_gateway(claude_dir):
    """Issue 17: 2.1.197 has no first-byte variable, and its byte watchdog runs only on api.anthropic.com."""
    rep = report({"stream": {"outcome": "completed", "time_to_first_byte_s": 12.0},
                  "idle": {"cut_s": 5.0, "ending": "drop", "bracket": [4, 6]},
                  "env.clients": _clients("2.1.197", "https://gateway.corp.example")},
                 {"slow-first-byte": []}, base_url="https://gateway.corp.example")
    fix = get_fix("claude-code-timeouts")
    assert not fix.applies(rep)  # 3 x 12 s is under the default 600 s; nothing it could write would work
    assert fix.updates(rep, {}) == {}
    assert "applies only to api.anthropic.com" in fix.describe(rep)


def test_byte_watchdog_value_is_raised_to_its_floor(claude_dir):
    rep = report({"idle": {"cut_s": 3.0, "ending": "drop", "bracket": [2, 4]},
                  "env.clients": _clients("2.1.197")})
    fix = get_fix("claude-code-timeouts")
    assert fix.applies(rep)
    fix.apply(rep)
    env = json.loads((claude_dir / "settings.json").read_text())["env"]
    assert env == {"CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS": "10000"}  # 8 s wanted, 10 s is the floor (code 2.1.197)


def test_ca_fix_writes_the_root_next_to_settings_and_keeps_an_earlier_extra_ca(claude_dir, tmp_path):
    old_ca = tmp_path / "old.pem"
    old_pem = make_root_pem()
    old_ca.write_text(old_pem)
    (claude_dir / "settings.json").write_text(json.dumps({"env": {"NODE_EXTRA_CA_CERTS": str(old_ca)}}))
    root = make_root_pem()
    rep = report({"tls": {"inspected": True, "inspector": "Zscaler", "root_pem": root, "issuer": "Zscaler Root"}})
    fix = get_fix("claude-code-ca")
    assert fix.applies(rep)
    record_id = fix.apply(rep)
    pem = claude_dir / "streamdoctor-extra-ca.pem"
    assert json.loads((claude_dir / "settings.json").read_text())["env"]["NODE_EXTRA_CA_CERTS"] == str(pem)
    assert pem.read_text() == old_pem + root
    fix.revert(record_id)
    assert not pem.exists()
    assert json.loads((claude_dir / "settings.json").read_text())["env"]["NODE_EXTRA_CA_CERTS"] == str(old_ca)


def test_a_file_with_comments_is_refused_and_left_alone(claude_dir):
    settings = claude_dir / "settings.json"
    settings.write_text('{\n  // corporate defaults\n  "env": {}\n}\n')
    with pytest.raises(SettingsUnreadableError, match="comments and trailing commas are not JSON"):
        get_fix("claude-code-proxy").apply(proxy_report())
    assert settings.read_text() == '{\n  // corporate defaults\n  "env": {}\n}\n'
    assert list_records() == []


def test_a_symlinked_settings_file_stays_a_symlink(claude_dir, tmp_path):
    real = tmp_path / "dotfiles" / "settings.json"
    real.parent.mkdir()
    real.write_text("{}\n")
    (claude_dir / "settings.json").symlink_to(real)
    record_id = get_fix("claude-code-proxy").apply(proxy_report())
    assert (claude_dir / "settings.json").is_symlink()
    assert "HTTPS_PROXY" in real.read_text()
    get_fix("claude-code-proxy").revert(record_id)
    assert real.read_text() == "{}\n" and (claude_dir / "settings.json").is_symlink()


def test_socks_proxy_is_refused_because_claude_code_cannot_use_it(claude_dir):
    with pytest.raises(FixError, match="SOCKS"):
        get_fix("claude-code-proxy").preview(proxy_report("socks5://proxy.corp.example:1080"))


def test_fixes_that_have_nothing_to_do_say_so(claude_dir):
    empty = report({})
    for fix_id in ("claude-code-proxy", "claude-code-ca", "claude-code-timeouts", "env-proxy", "env-ca", "mtu"):
        fix = get_fix(fix_id)
        assert not fix.applies(empty)
        with pytest.raises(FixError, match="nothing to do"):
            fix.apply(empty)
    assert not Path(claude_dir / "settings.json").exists()
