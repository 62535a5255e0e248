"""Issue 14 item 6: report values never become code in the generated SDK snippets (fuzzed with hypothesis).

A saved report.json is input. Whatever its probe data says (newlines, quotes, NaN, huge numbers, strings where
numbers belong), the generated Python must parse to the same program as a benign one (the same names, calls
and statements; only the numbers may differ) and the TypeScript must keep its shape line for line; the hostile
text must not appear at all. Then the real thing: the TypeScript compiles with tsc against the real
@anthropic-ai/sdk from npm, without undici when keepalive is off, and says plainly that it needs undici when on.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fixreports import report
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streamdoctor.fixes.sdk_snippet import (
    UNDICI_NOTE,
    SdkSnippetFix,
    SnippetParams,
    render_python,
    render_typescript,
    snippet_params,
)

MARK = "PWNED"
hostile_text = st.one_of(
    st.sampled_from([f"reset\nimport os; os.system('{MARK}')", f'x"""\n{MARK}()\n"""', f"*/ {MARK}(); /*",
                     f"\r\n{MARK} = 1", f"reset'); {MARK}('", "reset", "fin", "drop", "tls_close"]),
    st.text(max_size=40).map(lambda s: s + MARK),
)
anything = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
                     st.floats(allow_nan=True, allow_infinity=True), hostile_text,
                     st.lists(st.integers(), max_size=2))


def _shape(code: str) -> tuple[list[str], set[str]]:
    """The program without its numbers and prose: statement kinds in order, and every name it uses."""
    tree = ast.parse(code)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.alias):
            names.add(node.name)
    return [type(n).__name__ for n in tree.body], names


BASE_PY = {ka: _shape(render_python(SnippetParams(keepalive_idle_s=15 if ka else None))) for ka in (True, False)}
BASE_TS_LINES = {ka: len(render_typescript(SnippetParams(keepalive_idle_s=15 if ka else None)).splitlines())
                 for ka in (True, False)}
CASES = {"n": 0}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ttfb=anything, cut=anything, ending=anything, silence=anything, outcome=st.sampled_from(["reset", "ok", 7]),
       proxy=anything, inspected=anything)
def test_hostile_report_fields_never_become_code(ttfb: Any, cut: Any, ending: Any, silence: Any, outcome: Any,
                                                 proxy: Any, inspected: Any) -> None:
    CASES["n"] += 1
    rep = report({"stream": {"time_to_first_byte_s": ttfb, "outcome": outcome, "silence_before_end_s": silence},
                  "idle": {"cut_s": cut, "ending": ending},
                  "env.proxy": {"clients": {"python-sdk": {"proxy": proxy}}},
                  "tls": {"inspected": inspected}})
    params = snippet_params(rep)
    py, ts = render_python(params), render_typescript(params)
    ka = params.keepalive_idle_s is not None
    assert _shape(py) == BASE_PY[ka]
    compile(py, "streamdoctor_client.py", "exec")
    assert len(ts.splitlines()) == BASE_TS_LINES[ka]
    assert MARK not in py and MARK not in ts
    preview = SdkSnippetFix().preview(rep) if ka or params.timeout_s else None
    assert preview is None or MARK not in preview.preview + preview.description


def test_fuzz_case_count() -> None:
    print(f"\nsnippet fuzz: {CASES['n']} hostile reports rendered")  # the number for the closing note


def test_the_preview_and_the_code_say_that_keepalive_needs_undici() -> None:
    rep = report({"idle": {"cut_s": 30.0, "ending": "reset"}}, {"idle-reset": ["sdk-snippet"]})
    plan = SdkSnippetFix().preview(rep)
    assert UNDICI_NOTE in plan.description
    assert "npm install undici" in render_typescript(snippet_params(rep))
    assert "undici" not in render_typescript(SnippetParams())  # without keepalive it needs nothing extra


NPM_DIR = Path(os.environ.get("STREAMDOCTOR_NPM_CACHE", "/tmp/streamdoctor-test-npm"))


def _npm_install(prefix: Path, *packages: str) -> bool:
    npm = shutil.which("npm")
    if npm is None:
        return False
    prefix.mkdir(parents=True, exist_ok=True)
    if all((prefix / "node_modules" / p).exists() for p in packages):
        return True
    try:
        proc = subprocess.run([npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", *packages],
                              capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return False
    return proc.returncode == 0


def _tsc(folder: Path, *files: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(folder / "node_modules" / ".bin" / "tsc"), "--noEmit", "--strict", "--target", "es2022",
                           "--module", "nodenext", "--moduleResolution", "nodenext", "--types", "node", *files],
                          cwd=folder, capture_output=True, text=True, timeout=300)


def test_typescript_compiles_against_the_real_sdk_from_npm() -> None:
    plain, full = NPM_DIR / "sdk-only", NPM_DIR / "sdk-undici"
    if not (_npm_install(plain, "@anthropic-ai/sdk", "@types/node", "typescript")
            and _npm_install(full, "@anthropic-ai/sdk", "@types/node", "typescript", "undici")):
        pytest.skip("npm could not install @anthropic-ai/sdk (no registry access)")
    with_ka = render_typescript(SnippetParams(keepalive_idle_s=15))
    without = render_typescript(SnippetParams())
    for folder in (plain, full):
        (folder / "with_keepalive.ts").write_text(with_ka)
        (folder / "without.ts").write_text(without)
    sdk = json.loads((plain / "node_modules/@anthropic-ai/sdk/package.json").read_text())["version"]
    ok = _tsc(plain, "without.ts")
    assert ok.returncode == 0, f"SDK {sdk}: " + ok.stdout + ok.stderr  # no keepalive: the SDK alone suffices
    missing = _tsc(plain, "with_keepalive.ts")
    assert missing.returncode != 0 and "undici" in missing.stdout  # TS2307: what the snippet's comment warns of
    full_ok = _tsc(full, "with_keepalive.ts", "without.ts")
    assert full_ok.returncode == 0, f"SDK {sdk}: " + full_ok.stdout + full_ok.stderr
