"""Every catalog complete for the source as it is now, placeholders identical, plurals whole, and compiled as shipped.

The source is the truth: the texts are extracted from it afresh (scripts/i18n.py, Babel) at each run, so a new or
changed English text without its six translations fails here, not in front of a user.
"""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest

from streamdoctor import i18n
from streamdoctor.i18n.languages import SOURCE, SUPPORTED
from support.repo_scripts import load_script

ROOT = Path(__file__).resolve().parents[2]


tool = load_script("scripts/i18n.py", "i18n_tool")
compiler = load_script("packaging/build_translations.py")
LANGUAGES = [code for code in SUPPORTED if code != SOURCE]


@pytest.fixture(scope="module")
def pot():  # type: ignore[no-untyped-def]
    return tool.extract_catalog()


def _catalog(lang: str):  # type: ignore[no-untyped-def]
    """The language's catalog, the one the build compiles."""
    po = compiler.sources().get(lang)
    assert po is not None, f"no catalog for {lang} in resources/translations"
    return tool.read(po)


def test_the_source_has_texts_to_translate(pot) -> None:  # type: ignore[no-untyped-def]
    # A broken extractor (wrong keywords, wrong folder) would make every catalog look complete.
    assert len(pot) > 300


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalog_is_complete_with_identical_placeholders(pot, lang: str) -> None:  # type: ignore[no-untyped-def]
    found = tool.problems(pot, _catalog(lang))
    assert not found, f"{lang}: {len(found)} problems (python scripts/i18n.py check):\n" + "\n".join(found[:40])


def test_problems_catches_each_kind_of_defect() -> None:
    from babel.messages.catalog import Catalog

    src = Catalog()
    src.add("cut after {secs:.1f} s")
    src.add(("{n} finding", "{n} findings"))
    src.add("left out")
    src.add("fuzzy one")
    bad = Catalog(locale="de")
    bad.add("cut after {secs:.0f} s", "x")  # a different msgid: the right one is missing
    bad.add("cut after {secs:.1f} s", "nach {sec:.1f} s")
    bad.add(("{n} finding", "{n} findings"), ("{n} Befund",))
    bad.add("fuzzy one", "unscharf", flags=("fuzzy",))
    found = "\n".join(tool.problems(src, bad))
    assert "placeholders: 'cut after" in found
    assert "plural forms" in found
    assert "missing: 'left out'" in found
    assert "fuzzy: 'fuzzy one'" in found


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalog_is_current_and_loads(lang: str, tmp_path: Path) -> None:
    """What the build writes from the sources reads back with the standard library, plural rule included."""
    data = compiler.compile_language(compiler.sources()[lang])
    mo = tmp_path / "x.mo"
    mo.write_bytes(data)
    with mo.open("rb") as fh:
        t = gettext.GNUTranslations(fh)
    assert t.plural(1) == 0
    # Japanese and Chinese have one form; the others a different form for 5 than for 1 (Babel's CLDR rules give
    # fr, es and pt_BR a third, "many", for millions)
    assert (t.plural(5) == 0) == (lang in ("ja", "zh_CN"))
    shipped = i18n.catalog_dir() / lang / "LC_MESSAGES" / "streamdoctor.mo"
    assert shipped.read_bytes() == data, "run packaging/build_translations.py (bootstrap does)"
