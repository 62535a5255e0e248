"""packaging/build_fonts.py: the CJK subsets hold exactly what the catalogs need, under their own name, the same
bytes for the same input, and the frozen build collects them where gui/fonts.py looks.

Real parts: the Noto Sans CJK collection from Debian's fonts-noto-cjk and fontTools (both what `make dist` uses);
the tests that need them skip with the reason when they are missing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support.repo_scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
build_fonts = load_script("packaging/build_fonts.py")

SOURCE = build_fonts.find_source()
needs_source = pytest.mark.skipif(SOURCE is None or not SOURCE.is_file(),
                                  reason="no Noto Sans CJK collection (apt-get install fonts-noto-cjk)")
# Characters no punctuation range or language name holds, so finding them proves the catalog was read.
JA_SAMPLE = "接続がリセットされました"
ZH_SAMPLE = "连接被重置"


def _catalog(folder: Path, lang: str, msgstr: str, plural: str = "") -> None:
    po = folder / f"{lang}.po"
    po.parent.mkdir(parents=True, exist_ok=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        f'msgid "Connection reset"\nmsgstr "{msgstr}"\n\n'
        + (f'msgid "{{n}} cut"\nmsgid_plural "{{n}} cuts"\nmsgstr[0] "{plural}"\n\n' if plural else "")
        + '#, fuzzy\nmsgid "Idle test"\nmsgstr "未確定"\n',
        encoding="utf-8",
    )


def test_characters_are_the_catalogs_text_plus_punctuation_and_language_names(tmp_path: Path) -> None:
    _catalog(tmp_path, "ja", JA_SAMPLE[:5], plural=JA_SAMPLE[5:])
    _catalog(tmp_path, "zh_CN", "连被重置")
    chars = build_fonts.characters("ja", tmp_path)
    assert set(JA_SAMPLE) <= chars, "plain and plural translations are read"
    assert {"、", "。", "（", "）", "…"} <= chars
    assert set("日本語简体中文") <= chars, "the language menu's names are drawn in every language"
    assert "未" not in chars and "確" not in chars, "a fuzzy entry is not shipped, so its characters are not needed"
    assert not set("连被重置") & chars, "the Chinese catalog does not go into the Japanese font"
    assert set("连被重置") <= build_fonts.characters("zh_CN", tmp_path)


@needs_source
def test_subset_draws_the_catalog_under_its_own_family_and_is_reproducible(tmp_path: Path) -> None:
    from fontTools.ttLib import TTFont

    face = next(f for f in build_fonts.FACES if f.lang == "zh_CN")
    chars = set(ZH_SAMPLE) | set(build_fonts.PUNCTUATION)
    data = build_fonts.subset_bytes(SOURCE, face, chars)
    assert data == build_fonts.subset_bytes(SOURCE, face, chars), "the same input gives the same bytes"
    path = tmp_path / face.file
    path.write_bytes(data)
    font = TTFont(str(path))
    cmap = font.getBestCmap()
    assert {ord(c) for c in ZH_SAMPLE} <= set(cmap)
    assert ord("語") not in cmap and ord("A") not in cmap, "only the characters asked for"
    name = font["name"]
    assert name.getDebugName(1) == "StreamDoctor CJK SC"
    assert "Noto" not in name.getDebugName(1)
    assert "Open Font License" in name.getDebugName(13), "the OFL notice travels with the font"
    assert len(data) < SOURCE.stat().st_size / 100


@needs_source
def test_jp_and_sc_faces_draw_the_same_character_differently() -> None:
    """The reason for two fonts: 直 (U+76F4) has a different shape in Japanese and in Simplified Chinese."""
    import io

    from fontTools.pens.recordingPen import RecordingPen
    from fontTools.ttLib import TTFont

    outlines = []
    for face in build_fonts.FACES:
        font = TTFont(io.BytesIO(build_fonts.subset_bytes(SOURCE, face, {"直"})))
        glyph_set = font.getGlyphSet()
        pen = RecordingPen()
        glyph_set[font.getBestCmap()[ord("直")]].draw(pen)
        outlines.append(pen.value)
    assert outlines[0] != outlines[1]


def test_a_missing_source_is_one_line_and_exit_1_or_0_when_optional(tmp_path: Path) -> None:
    env = {"STREAMDOCTOR_CJK_SOURCE": str(tmp_path / "none.ttc"), "PATH": "/usr/bin:/bin"}
    for args, code in (([], 1), (["--optional"], 0)):
        done = subprocess.run([sys.executable, str(ROOT / "packaging" / "build_fonts.py"), *args], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == code
        assert done.stderr.count("\n") == 1 and "install fonts-noto-cjk" in done.stderr
        assert "Traceback" not in done.stderr


def test_frozen_build_collects_the_fonts_where_the_app_looks() -> None:
    """The spec's collect_data_files("streamdoctor") puts them in streamdoctor/fonts/, which is gui/fonts.py's
    font_dir() relative to the package in the frozen tree as in the source tree."""
    from PyInstaller.utils.hooks import collect_data_files

    from streamdoctor.gui import fonts

    if not all((fonts.font_dir() / f).is_file() for f, _ in fonts.FONTS.values()):
        pytest.skip("the fonts are not built: run packaging/build_fonts.py")
    collected = {(Path(src).name, dest) for src, dest in collect_data_files("streamdoctor")}
    for file, _ in fonts.FONTS.values():
        assert (file, "streamdoctor/fonts") in collected
    assert fonts.font_dir().relative_to(Path(fonts.__file__).resolve().parents[1]) == Path("fonts")
    assert {f.file for f in build_fonts.FACES} == {f for f, _ in fonts.FONTS.values()}
    assert {f.family for f in build_fonts.FACES} == {fam for _, fam in fonts.FONTS.values()}
