"""The translation system: language tags, per-language numbers, texts that can be re-said, the catalog compiler."""

from __future__ import annotations

import copy
import dataclasses
import gettext
import io
import json
import pickle
from pathlib import Path

import pytest

from streamdoctor import i18n
from streamdoctor.i18n import Msg, _, ngettext, os_language, relocalize, using
from streamdoctor.i18n.formatting import format_datetime, format_number
from streamdoctor.i18n.languages import match, normalize
from support.repo_scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
bt = load_script("packaging/build_translations.py")

DE_PO = r'''
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

#, python-brace-format
msgid "cut after {secs:.1f} s"
msgstr "nach {secs:.1f} s getrennt"

#, fuzzy
msgid "a guess"
msgstr "eine Vermutung"

msgid "{n} finding"
msgid_plural "{n} findings"
msgstr[0] "{n} Befund"
msgstr[1] "{n} Befunde"

msgid "broken {x}"
msgstr "kaputt {y}"

msgid "untranslated"
msgstr ""

msgid "two "
"lines\n"
msgstr "zwei "
"Zeilen\n"
'''


@pytest.fixture
def german(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A real compiled German catalog in a private locale folder, made by the build's own compiler."""
    mo = tmp_path / "de" / "LC_MESSAGES" / "streamdoctor.mo"
    mo.parent.mkdir(parents=True)
    mo.write_bytes(bt.mo_bytes(bt.parse_po(DE_PO)))
    monkeypatch.setattr(i18n, "catalog_dir", lambda: tmp_path)
    monkeypatch.setattr(i18n, "_catalogs", {})
    yield
    i18n.set_language("en")


@pytest.mark.parametrize(("tag", "code"), [
    ("de_DE.UTF-8", "de"), ("de-AT", "de"), ("fr_CA.UTF-8@euro", "fr"), ("es-419", "es"), ("ja-JP", "ja"),
    ("zh-Hans-CN", "zh_CN"), ("zh_CN.GB2312", "zh_CN"), ("zh-SG", "zh_CN"), ("zh-Hant-TW", None), ("zh_TW", None),
    ("zh-HK", None), ("pt-BR", "pt_BR"), ("pt_PT", "pt_BR"), ("pt", "pt_BR"), ("en-GB", "en"), ("C", None),
    ("POSIX", None), ("C.UTF-8", None), ("sv_SE", None), ("", None), ("../../etc", None), ("qps-ploc", "qps-ploc"),
])
def test_os_tags_map_to_our_codes(tag: str, code: str | None) -> None:
    assert normalize(tag) == code


def test_first_supported_preference_wins_and_english_is_the_fallback() -> None:
    assert match(["sv_SE", "zh-Hant", "ja-JP", "de"]) == "ja"
    assert match(["sv", "nb"]) == "en"


def test_posix_precedence_and_language_list() -> None:
    env = {"LANG": "fr_FR.UTF-8", "LANGUAGE": "pt_BR:de"}
    assert os_language.posix_languages(env) == ["pt_BR", "de", "fr_FR.UTF-8"]
    # LANGUAGE is ignored under the C locale, as gettext itself does
    assert os_language.posix_languages({"LANG": "C", "LANGUAGE": "de"}) == ["C"]
    assert os_language.posix_languages({"LC_ALL": "ja_JP.UTF-8", "LANG": "de_DE"}) == ["ja_JP.UTF-8"]


def test_choice_order_option_env_saved_os(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STREAMDOCTOR_HOME", str(tmp_path))
    monkeypatch.delenv("STREAMDOCTOR_LANG", raising=False)
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    monkeypatch.delenv("LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    assert os_language.choose() == "es"
    assert os_language.choose(None, ["ja-JP"]) == "ja"  # the GUI's Qt list comes before the shell's
    os_language.save_language("fr")
    assert os_language.choose(None, ["ja-JP"]) == "fr"
    monkeypatch.setenv("STREAMDOCTOR_LANG", "de")
    assert os_language.choose() == "de"
    assert os_language.choose("zh-CN") == "zh_CN"
    with pytest.raises(ValueError):
        os_language.save_language("xx")
    (tmp_path / "config" / "language").write_text("../../evil\n")
    assert os_language.saved_language() is None


def test_numbers_and_dates_per_language() -> None:
    assert format_number(12345.678, ",.2f", "en") == "12,345.68"
    assert format_number(12345.678, ",.2f", "de") == "12.345,68"
    assert format_number(12345.678, ",.2f", "fr") == "12\u202f345,68"
    assert format_number(0.4, ".1f", "pt_BR") == "0,4"
    assert format_number(0.4, ".1f", "ja") == "0.4"
    assert format_number(7, "", "de") == "7"
    stamp = 1_780_000_000  # a fixed moment; the pattern, not the zone, is under test
    assert format_datetime(stamp, "de").count(".") == 2
    assert format_datetime(stamp, "ja").count("/") == 2
    assert format_datetime(stamp, "en").count("-") == 2


def test_msg_is_said_in_the_current_language_and_again_in_another(german: None) -> None:
    en = _("cut after {secs:.1f} s", secs=0.44)
    assert en == "cut after 0.4 s"
    i18n.set_language("de")
    de = _("cut after {secs:.1f} s", secs=0.44)
    assert de == "nach 0,4 s getrennt"
    assert de.in_language("en") == "cut after 0.4 s"
    with using("en"):
        assert _("cut after {secs:.1f} s", secs=2) == "cut after 2.0 s"
    assert i18n.current() == "de"


def test_plural_forms_and_fallbacks(german: None) -> None:
    i18n.set_language("de")
    assert ngettext("{n} finding", "{n} findings", 1) == "1 Befund"
    assert ngettext("{n} finding", "{n} findings", 3) == "3 Befunde"
    assert _("a guess") == "a guess"  # fuzzy entries never ship
    assert _("untranslated") == "untranslated"
    assert _("two lines\n") == "zwei Zeilen\n"
    # A translation whose placeholder does not match says it in English instead of failing the user
    assert _("broken {x}", x=1) == "broken 1"


def test_relocalize_walks_reports_and_keeps_foreign_text(german: None) -> None:
    @dataclasses.dataclass
    class Item:
        title: str
        raw: str
        nested: list[dict[str, object]]

    i18n.set_language("de")
    item = Item(_("cut after {secs:.1f} s", secs=1.5), "server said: nope",
                [{"k": ngettext("{n} finding", "{n} findings", 2), "n": 2}])
    assert item.title == "nach 1,5 s getrennt"
    back = relocalize(item, "en")
    assert back.title == "cut after 1.5 s" and back.raw == "server said: nope"
    assert back.nested[0]["k"] == "2 findings" and back.nested[0]["n"] == 2
    assert item.title == "nach 1,5 s getrennt"  # a copy: the German report is untouched


def test_msg_survives_json_pickle_and_deepcopy(german: None) -> None:
    i18n.set_language("de")
    m = _("cut after {secs:.1f} s", secs=3)
    assert json.loads(json.dumps({"t": m})) == {"t": "nach 3,0 s getrennt"}
    again = pickle.loads(pickle.dumps(m))
    assert isinstance(again, Msg) and again == m and again.in_language("en") == "cut after 3.0 s"
    assert copy.deepcopy(m).in_language("en") == "cut after 3.0 s"


def test_nested_msg_params_follow_the_language(german: None) -> None:
    inner = _("cut after {secs:.1f} s", secs=1)
    outer = _("Seen: {what}", what=inner)
    i18n.set_language("de")
    assert outer.in_language("de") == "Seen: nach 1,0 s getrennt"


def test_pseudo_language_marks_every_text_but_keeps_placeholders_and_urls() -> None:
    with using("qps-ploc"):
        text = _("See {url} for the <b>{n}</b> hosts", url="https://example.test/a", n=3)
    assert text.startswith("⟦") and text.endswith("⟧")
    assert "https://example.test/a" in text and "<b>3</b>" in text
    assert len(text) > len("See https://example.test/a for the <b>3</b> hosts")


def test_missing_catalog_falls_back_to_english(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "catalog_dir", lambda: tmp_path)
    monkeypatch.setattr(i18n, "_catalogs", {})
    with using("ja"):
        assert _("cut after {secs:.1f} s", secs=1) == "cut after 1.0 s"
    assert i18n.available() == ["en"]


def test_compiler_output_reads_back_with_stdlib_gettext() -> None:
    messages = bt.parse_po(DE_PO)
    assert "a guess" not in messages and "untranslated" not in messages
    t = gettext.GNUTranslations(io.BytesIO(bt.mo_bytes(messages)))
    assert t.gettext("cut after {secs:.1f} s") == "nach {secs:.1f} s getrennt"
    assert t.ngettext("{n} finding", "{n} findings", 2) == "{n} Befunde"


@pytest.mark.parametrize("bad", [
    'msgid ""\nmsgstr ""\nmsgid "x"\nmsgstr nope\n',
    '"orphan"\n',
    'msgid "x"\nmsgstr "y"\n',  # no header
    'msgid ""\nmsgstr ""\nmsgfoo "x"\n',
])
def test_compiler_refuses_broken_catalogs_in_one_line(bad: str) -> None:
    with pytest.raises(bt.PoError):
        bt.parse_po(bad)


def test_terminal_columns_count_wide_characters_twice() -> None:
    from streamdoctor.i18n.formatting import display_width, pad

    assert display_width("Proxy") == 5
    assert display_width("プロキシ設定") == 12
    assert display_width("简体中文 ok") == 11
    assert pad("プロキシ", 10) == "プロキシ  "
    assert pad("Netzwerkschnittstellen", 10) == "Netzwerkschnittstellen"  # never cut, only padded
