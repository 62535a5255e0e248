"""Every fix id a rule can name exists, and the fixes the lab's findings call for round-trip here.

Two sources of referenced ids: the rules' source (string literals in fix-id lists: Finding's fix_ids argument,
and lists/appends bound to names containing "fix"), and what `check --lab` really reports on every profile.
"""

from __future__ import annotations

import argparse
import ast
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import streamdoctor.rules
from streamdoctor.cli import lab_or_real, make_context
from streamdoctor.diagnosis import diagnose
from streamdoctor.fixes import FIX_IDS, all_fixes, get_fix, list_records
from streamdoctor.lab import PROFILES
from streamdoctor.model import Report
from streamdoctor.probes import select
from streamdoctor.runner import run_probes

RULES_DIR = Path(streamdoctor.rules.__file__).parent


def _list_strings(node: ast.AST) -> set[str]:
    """String constants that are elements of list/tuple literals (or append/extend arguments) inside `node`."""
    out = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.List | ast.Tuple):
            out |= {e.value for e in sub.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return out


def referenced_in_rules() -> set[str]:
    ids: set[str] = set()
    for path in RULES_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Finding":
                if len(node.args) >= 8:
                    ids |= _list_strings(node.args[7])
                ids |= {s for kw in node.keywords if kw.arg == "fix_ids" for s in _list_strings(kw.value)}
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any("fix" in ast.unparse(t).lower() for t in targets) and node.value is not None:
                    ids |= _list_strings(node.value)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in ("append", "extend") and "fix" in ast.unparse(node.func.value).lower()):
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        ids.add(arg.value)
                    ids |= _list_strings(arg)
    return ids


def test_every_fix_id_the_rules_name_exists():
    named = referenced_in_rules()
    assert {"nginx-streaming", "sdk-snippet", "mtu"} <= named  # the scan sees the ids rules really use
    assert named <= set(FIX_IDS), f"rules name fixes that do not exist: {sorted(named - set(FIX_IDS))}"
    assert [f.id for f in all_fixes()] == list(FIX_IDS)


def _lab_report(profile: str) -> Report:
    args = argparse.Namespace(lab=profile, base_url=None, ca_file=None, quick=False, model=None, probe_option=[])
    with lab_or_real(profile, None) as (base_url, overrides, ca_file):
        ctx = make_context(base_url, overrides, args, ca_file)
        results = run_probes(select(False), ctx)
    return Report({"base_url": base_url, "lab_profile": profile}, results, diagnose(results))


@pytest.fixture(scope="module")
def lab_reports() -> dict[str, Report]:
    # The profiles are mostly waiting (scaled timeouts), so they run side by side; but not all eleven at once: the
    # lab servers share this process's GIL, and under a loaded CI machine eleven threads stretched the buffering
    # profile's bursts until the stream no longer looked buffered (failed twice at load 7+, never alone).
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(PROFILES, pool.map(_lab_report, PROFILES), strict=True))


def test_every_fix_id_check_reports_on_the_lab_exists(lab_reports):
    seen = {fid for rep in lab_reports.values() for f in rep.verdict.findings for fid in f.fix_ids}
    assert seen <= set(FIX_IDS), sorted(seen - set(FIX_IDS))
    assert {"sdk-snippet", "nginx-streaming"} <= seen
    for rep in lab_reports.values():
        for f in rep.verdict.findings:
            for fid in f.fix_ids:
                get_fix(fid).applies(rep)  # every named fix can judge the report it is named in


def test_a_5_s_first_byte_gets_no_claude_code_timeout_change(lab_reports):
    """5 s is far inside Claude Code's 600 s default: writing API_TIMEOUT_MS=600000 changed nothing but the
    non-streaming retry limit (issue 17), so the fix stands down."""
    assert not get_fix("claude-code-timeouts").applies(lab_reports["slow-first-byte"])


@pytest.mark.parametrize(("profile", "fix_id"), [("idle-reset", "sdk-snippet"), ("slow-first-byte", "sdk-snippet")])
def test_lab_findings_round_trip_apply_verify_undo(lab_reports, profile, fix_id, tmp_path, monkeypatch):
    monkeypatch.setenv("STREAMDOCTOR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude"))
    rep = lab_reports[profile]
    assert fix_id in {fid for f in rep.verdict.findings for fid in f.fix_ids}
    fix = get_fix(fix_id)
    assert fix.applies(rep)
    plan = fix.preview(rep)
    assert plan.fix_id == fix_id and plan.preview
    record_id = fix.apply(rep)
    outcome = fix.verify(rep, record_id)
    assert outcome.ok, outcome.detail
    written = [Path(s["path"]) for s in list_records()[-1].steps if s["kind"] in ("file", "settings-env")]
    assert written and all(p.exists() for p in written)
    fix.revert(record_id)
    assert not any(p.exists() for p in written)
    assert list_records()[-1].state == "reverted"


def test_cli_show_apply_list_undo_from_a_saved_report(lab_reports, tmp_path, monkeypatch, capsys):
    import json

    from streamdoctor.cli import main
    from streamdoctor.model import to_jsonable

    monkeypatch.setenv("STREAMDOCTOR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude"))
    saved = tmp_path / "report.json"
    saved.write_text(json.dumps(to_jsonable(lab_reports["slow-first-byte"])))
    settings = tmp_path / "claude" / "settings.json"
    settings.parent.mkdir()
    # A user limit (3 s) shorter than the lab's 5 s first byte: the fix takes it out (back to the 600 s default)
    # rather than writing the default's value (issue 17).
    original = b'{"env": {"API_TIMEOUT_MS": "3000", "FOO": "bar"}}\n'
    settings.write_bytes(original)

    assert main(["fix", "show", "claude-code-timeouts", "--report", str(saved)]) == 0
    shown = capsys.readouterr().out
    assert 'removes API_TIMEOUT_MS' in shown and '+{"env": {"FOO": "bar"}}' in shown
    assert settings.read_bytes() == original
    assert main(["fix", "apply", "claude-code-timeouts", "--report", str(saved)]) == 2  # not a TTY: needs --yes
    assert "add --yes" in capsys.readouterr().err and settings.read_bytes() == original
    assert main(["fix", "apply", "claude-code-timeouts", "--report", str(saved), "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Verified:" in out and json.loads(settings.read_text())["env"] == {"FOO": "bar"}
    assert main(["fix", "list"]) == 0
    assert "applied" in capsys.readouterr().out
    assert main(["fix", "undo", "claude-code-timeouts"]) == 0
    assert settings.read_bytes() == original
    assert main(["fix", "undo", "claude-code-timeouts"]) == 2
    assert "nothing of 'claude-code-timeouts' is applied" in capsys.readouterr().err
    assert main(["fix", "apply", "no-such-fix", "--report", str(saved)]) == 2
    assert "unknown fix 'no-such-fix'" in capsys.readouterr().err
