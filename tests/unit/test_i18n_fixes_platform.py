"""The fixes, the platform's keychain, the error map, URL and file checks, the lab and the capture speak the user's
language: every text they make for a user passes through the catalogs (the pseudo-language brackets it), German
and Japanese read as translated with numbers written their way, and a German text is said again in English for IT.

Real outputs only: the fixes preview real recorded-shape reports, the URL check, the file reader, the journal and
the lab raise their real errors on real input.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fixreports import proxy_report, report

from streamdoctor import error_texts, errors, i18n
from streamdoctor.capture.bundle_files import NOTE_NAME, capture_files
from streamdoctor.errors import BadURLError, ClientUnsupported, ProtocolViolation, UserError
from streamdoctor.fixes import all_fixes, journal
from streamdoctor.fixes.base import text_diff
from streamdoctor.fixes.elevate import _answer
from streamdoctor.fixes.env import EnvProxyFix
from streamdoctor.fixes.mtu import mtu_target
from streamdoctor.fixes.sdk_snippet import SdkSnippetFix
from streamdoctor.fixes.session_env import LinuxEnvironmentD
from streamdoctor.fixes.settings_json import parse_settings
from streamdoctor.lab.isolation import exposure_warning
from streamdoctor.lab.profiles import PROFILES, get_profile
from streamdoctor.model import Overall, Verdict
from streamdoctor.platform import secret_service
from streamdoctor.safeio import NotRegularFileError, read_regular
from streamdoctor.urls import MAX_URL_LEN, validate_base_url

OPEN, CLOSE = "⟦", "⟧"
BAD_URLS = ["", "x" * (MAX_URL_LEN + 1), "https://a b", "ftp://api.example", "https://h:0", "https://h?x=1",
            "https:///path", "https://256.1.1.1", "https://[::zz]", "https://" + "a" * 64 + ".example",
            "https://bad_label-.example"]


@pytest.fixture(autouse=True)
def catalogs_built() -> None:
    missing = [lang for lang in ("de", "ja") if lang not in i18n.available()]
    assert not missing, f"no compiled catalog for {missing}: run packaging/build_translations.py"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("STREAMDOCTOR_HOME", str(tmp_path / "sd"))
    for name in ("NO_PROXY", "no_proxy", "NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "user").mkdir()
    return tmp_path / "user"


def _error(call: Any, *args: Any) -> str:
    with pytest.raises(Exception) as caught:  # noqa: B017 - each call raises its own typed error
        call(*args)
    return str(caught.value)


def idle_reset_report() -> Any:
    return report({"idle": {"cut_s": 30.0, "ending": "reset"}}, {"idle-reset": ["sdk-snippet"]})


def texts_a_user_reads(tmp_path: Path) -> dict[str, str]:
    """One real text per kind of output in this area, made in the current language."""
    out: dict[str, str] = {f"title {f.id}": f.title for f in all_fixes()}
    snippet = SdkSnippetFix().preview(idle_reset_report())
    out["snippet description"] = snippet.description
    env = EnvProxyFix(LinuxEnvironmentD()).preview(proxy_report())
    out["env description"], out["env preview"] = env.description, env.preview
    out["diff unchanged"] = text_diff("a\n", "a\n", "x")
    out["diff secret"] = text_diff("key=sk-ant-api03-" + "a" * 40 + "\n", "key=sk-ant-api03-" + "b" * 40 + "\n", "x")
    for name, data in {"no route": {}, "measured": {"mtu": {"interface": "eth0", "path_mtu": 1400,
                                                            "interface_mtu": 1500}},
                       "black hole": {"mtu": {"interface": "eth0", "black_hole": True}}}.items():
        out[f"mtu why {name}"] = mtu_target(report(data))[2]
    out["internal error"] = errors.describe(KeyError("x"))
    out["protocol error"] = errors.describe(ProtocolViolation("not SSE"))
    out["client unsupported"] = errors.describe(ClientUnsupported("x"))
    out["socks"] = errors.describe(ImportError("Using SOCKS proxy, but the 'socksio' package is not installed"))
    healthy = Verdict(Overall.HEALTHY, "ok", [])
    for entry in error_texts.table():
        seen = error_texts.relate(entry.examples[0], healthy)
        out[f"seen {entry.id}"], out[f"meaning {entry.id}"] = seen["sentence"], seen["meaning"]
    out["seen unknown"] = error_texts.relate("zzz qqq", healthy)["sentence"]
    for i, url in enumerate(BAD_URLS):
        out[f"url {i}"] = _error(validate_base_url, url)
    (tmp_path / "big").write_bytes(b"x" * 2000)
    for path, limit in ((tmp_path, 100), (tmp_path / "big", 1500)):
        with pytest.raises(NotRegularFileError) as caught:
            read_regular(path, limit)
        out[f"not regular {path.name}"] = str(caught.value.strerror)
    out["unknown record"] = _error(journal.load, "nope-0")
    out["refused step"] = _error(journal.validate_file_step, {"path": "relative"}, SimpleNamespace(id="r1"))
    for pseudonyms in (False, True):
        result = {"probe": "path.whocut", "data": {"capture": {"ok": True, "redaction_note": "",
                                                               "pcapng_b64": base64.b64encode(b"x").decode()}}}
        note = capture_files({"results": [result]}, pseudonyms)[NOTE_NAME].decode()
        out.update({f"capture note {pseudonyms} {i}": line for i, line in enumerate(note.splitlines()) if line})
    out["bad record id"] = _error(journal.load, "../x")
    out["settings list"] = _error(parse_settings, "[1]")
    out["settings comments"] = _error(parse_settings, '{"a": 1, // no\n}')
    out["helper failed"] = _error(_answer, 1, "", "boom")
    out["unknown profile"] = _error(get_profile, "nope")
    for profile in PROFILES.values():
        out[f"profile {profile.name}"] = profile.shown_description()
    out["lab exposed"] = _error(exposure_warning, "0.0.0.0", False)
    out["lab warning"] = exposure_warning("0.0.0.0", True)
    return out


def test_every_text_a_user_reads_comes_from_the_catalogs(home: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "no-runtime"))
    with i18n.using("qps-ploc"):
        texts = texts_a_user_reads(tmp_path)
        texts["no keychain"] = _error(secret_service._session_bus_address)
    unmarked = {k: v for k, v in texts.items() if not (v.startswith(OPEN) and v.endswith(CLOSE))}
    assert not unmarked, unmarked
    assert len(texts) > 60  # every kind above was really made, not skipped


def test_german_and_japanese_read_as_translated_with_their_numbers(home: Path, tmp_path: Path) -> None:
    for lang, phrases in {
        "de": ["Große Pakete an den Weg zur API anpassen", "Die URL ist länger als 2.048 Zeichen",
               "ist größer als 1.500 Byte", "Keepalive alle 15 s"],
        "ja": ["大きなパケットを API への経路に合わせる", "URL が 2,048 文字を超えています",
               "は 1,500 バイトを超えており", "15 秒ごとにキープアライブ"],
    }.items():
        with i18n.using(lang):
            said = "\n".join(texts_a_user_reads(tmp_path).values())
        for phrase in phrases:
            assert phrase in said, (lang, phrase)
        assert "Make large packets fit" not in said and "is not a usable URL" not in said


def test_french_groups_thousands_with_a_narrow_space() -> None:
    with i18n.using("fr"):
        message = _error(validate_base_url, "x" * (MAX_URL_LEN + 1))
    assert "2\u202f048 caractères" in message


def test_german_output_is_said_again_in_english_for_it(home: Path, tmp_path: Path) -> None:
    english = texts_a_user_reads(tmp_path)
    with i18n.using("de"):
        german = texts_a_user_reads(tmp_path)
    keep = [k for k in english if isinstance(german[k], i18n.Msg)]
    assert len(keep) > 50
    assert all(german[k] != english[k] for k in keep if not k.startswith("diff"))  # really translated
    assert {k: str(i18n.relocalize(german[k], "en")) for k in keep} == {k: english[k] for k in keep}


def test_a_fix_plan_and_the_error_sentence_keep_their_english_inside() -> None:
    rep = idle_reset_report()
    english_plan = SdkSnippetFix().preview(rep)
    with i18n.using("de"):
        plan = SdkSnippetFix().preview(rep)
        seen = error_texts.relate("API Error: Connection closed mid-response", Verdict(Overall.HEALTHY, "ok", []))
    assert "Erzeugt Code" in plan.description and "Keepalive alle 15 s" in plan.description
    back = i18n.relocalize(plan, "en")
    assert (back.title, back.description) == (english_plan.title, english_plan.description)
    assert plan.preview == english_plan.preview  # the code itself is never translated
    assert "Unsere Messungen erklären nicht" in seen["sentence"]
    assert i18n.relocalize(seen, "en")["sentence"].startswith("What we measured does not explain what you saw")


def test_the_journal_keeps_the_english_title_whatever_language_applied_the_fix(home: Path) -> None:
    fix = SdkSnippetFix()
    with i18n.using("ja"):
        record_id = fix.apply(idle_reset_report())
        outcome = fix.verify(idle_reset_report(), record_id)
    assert outcome.ok and "を保存しました" in outcome.detail
    assert journal.load(record_id).title == "Code for your own programs (Python and TypeScript SDK)"
    assert i18n.relocalize(outcome, "en").detail.startswith("Saved ")
    fix.revert(record_id)


def test_a_translated_error_is_still_one_line_for_the_cli() -> None:
    for lang in ("de", "fr", "es", "ja", "zh_CN", "pt_BR"):
        with i18n.using(lang):
            for url in BAD_URLS:
                with pytest.raises(BadURLError) as caught:
                    validate_base_url(url)
                assert "\n" not in str(caught.value) and isinstance(caught.value, UserError)
            assert "\n" not in _error(get_profile, "nope")


def test_the_helper_run_as_root_speaks_english(tmp_path: Path) -> None:
    # The privileged helper never chooses a language: what it answers is English whatever the user's is.
    import subprocess
    import sys

    code = ("from streamdoctor import i18n; from streamdoctor.fixes import privhelper; "
            "print(i18n.current())")
    env = {k: v for k, v in os.environ.items() if k != "STREAMDOCTOR_LANG"} | {"LANG": "de_DE.UTF-8"}
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert out.stdout.strip() == "en", out.stderr


def test_no_function_that_translates_rebinds_the_underscore() -> None:
    # `for path, (_, after) in ...` inside a function makes `_` a local string there, so a later `_("...")` in the
    # same function fails with "'str' object is not callable" instead of saying the error (it hid nginx's own
    # refusal once). Comprehensions have their own scope and are fine.
    import ast

    root = Path(__file__).resolve().parents[2] / "src" / "streamdoctor"
    files = [*root.joinpath("fixes").glob("*.py"), *root.joinpath("platform").glob("*.py"),
             *root.joinpath("capture").glob("*.py"), *root.joinpath("lab").glob("*.py"),
             *(root / name for name in ("errors.py", "error_texts.py", "urls.py", "safeio.py"))]
    bad = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not any(isinstance(n, ast.ImportFrom) and any(a.name == "_" for a in n.names) for n in ast.walk(tree)):
            continue
        for func in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
            scoped = {id(x) for c in ast.walk(func) if isinstance(c, ast.comprehension) for x in ast.walk(c.target)}
            bad += [f"{path.name}:{n.lineno}" for n in ast.walk(func)
                    if isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store) and id(n) not in scoped]
    assert len(files) > 40 and not bad, bad
