"""Subset Noto Sans CJK to the Japanese and Chinese catalogs' characters: `python packaging/build_fonts.py [--check]`.

Why: the frozen app may run where no CJK font is installed (a bare Debian, a minimal corporate Linux image), and
then Japanese or Chinese pages show empty boxes. The whole Noto Sans CJK collection is 19 MB; the app only ever
shows the characters of its own catalogs, so each face is cut down to exactly those (plus the punctuation CJK text
needs and the language menu's native names), which is a few hundred KB.

Writes src/streamdoctor/fonts/StreamDoctorCJK-JP.otf (Noto's JP face, for ja) and StreamDoctorCJK-SC.otf (the SC
face, for zh_CN: the same code points are drawn differently in the two, so each language gets its own). Both are
gitignored package data that PyInstaller collects; gui/fonts.py registers one only when its language is chosen.
The subset is renamed (a modified font may not keep the name "Noto", a Google trademark, and a distinct family
keeps it from shadowing a complete Noto CJK installed on the system); the copyright and the SIL Open Font License
notice stay in the font's name table, as the OFL asks.

Needs fontTools (a dev dependency) and the Noto CJK collection (Debian: fonts-noto-cjk; or set
STREAMDOCTOR_CJK_SOURCE to a NotoSansCJK-Regular.ttc). Without them it says so and exits 1 (`--optional`: 0), and
the app falls back to the system's fonts. Writes only when the result changed, so a build that runs it is cheap.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_translations import SOURCES, PoError, parse_po  # noqa: E402

OUTPUT = ROOT / "src" / "streamdoctor" / "fonts"
SOURCE_ENV = "STREAMDOCTOR_CJK_SOURCE"
# Where distributions put the collection (Debian/Ubuntu fonts-noto-cjk, Fedora google-noto-sans-cjk-ttc-fonts,
# Arch noto-fonts-cjk). Regular only: Qt draws bold text by emboldening it, which is legible for the few bold
# titles, and a second face would double the size.
SOURCE_CANDIDATES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
)


@dataclass(frozen=True)
class Face:
    lang: str  # the catalog code whose texts this face draws
    source_family: str  # the face's family name inside the collection
    family: str  # the family name the subset is registered under
    file: str  # the file under src/streamdoctor/fonts/


# The face order inside NotoSansCJK-Regular.ttc differs between releases, so faces are found by family name.
FACES = (
    Face("ja", "Noto Sans CJK JP", "StreamDoctor CJK JP", "StreamDoctorCJK-JP.otf"),
    Face("zh_CN", "Noto Sans CJK SC", "StreamDoctor CJK SC", "StreamDoctorCJK-SC.otf"),
)

# What CJK text needs besides the letters its catalog happens to use today: the CJK symbols and punctuation block
# (、。「」【】〜 and the ideographic space), the full-width forms translators type instead of ASCII (，：（）！？％),
# the half-width katakana punctuation, and the general punctuation a sentence may carry (— … “ ” ‘ ’ ※ ·).
PUNCTUATION = (
    [chr(c) for c in range(0x3000, 0x3040)]
    + [chr(c) for c in range(0xFF01, 0xFF5F)]
    + [chr(c) for c in range(0xFF61, 0xFF66)]
    + [chr(c) for c in range(0x2010, 0x2028)]
    + list("‰′″※·×÷→←↑↓")
)


def native_names() -> str:
    """The language menu shows every language in its own script (日本語, 简体中文) whatever the current one is."""
    sys.path.insert(0, str(ROOT / "src"))
    from streamdoctor.i18n.languages import NATIVE_NAMES

    return "".join(NATIVE_NAMES.values())


def catalog_files(lang: str, sources: Path = SOURCES) -> list[Path]:
    """resources/translations/<lang>.po (the catalog build_translations compiles)."""
    return sorted(sources.glob(f"{lang}.po"))


def catalog_text(lang: str, sources: Path = SOURCES) -> str:
    """Every translated text of `lang` (all msgstr, all plural forms) as one string."""
    texts: list[str] = []
    for po in catalog_files(lang, sources):
        for key, value in parse_po(po.read_text(encoding="utf-8"), po.name).items():
            if key:  # the header entry is metadata, not shown
                texts.append(value.replace("\0", ""))
    return "".join(texts)


def characters(lang: str, sources: Path = SOURCES) -> set[str]:
    """The code points the face for `lang` must draw: its catalogs' text, the punctuation, the native names."""
    chars = set(catalog_text(lang, sources)) | set(PUNCTUATION) | set(native_names())
    return {c for c in chars if c.isprintable() and c != " "} | {"\u3000"}


def find_source() -> Path | None:
    env = os.environ.get(SOURCE_ENV)
    if env:
        return Path(env)
    return next((p for p in SOURCE_CANDIDATES if p.is_file()), None)


def subset_bytes(source: Path, face: Face, chars: Iterable[str]) -> bytes:
    """One face of the collection cut down to `chars`, renamed, as OpenType (CFF) bytes; reproducible."""
    from fontTools import subset
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(source), lazy=True)
    try:
        matches = [f for f in collection.fonts if f["name"].getDebugName(1) == face.source_family]
        if not matches:
            raise LookupError(f"{source} has no face named {face.source_family!r}")
        font = matches[0]
        options = subset.Options()
        options.name_IDs = ["*"]  # keep the copyright (0), licence (13) and licence URL (14), as the OFL asks
        options.name_languages = ["*"]
        options.hinting = False  # Qt's FreeType renders CJK unhinted or autohinted; the hints only cost bytes
        options.drop_tables += ["vhea", "vmtx", "VORG"]  # vertical writing: the app lays out text horizontally
        options.layout_features = ["*"]  # locl, the feature that picks the JP or SC shapes, among them
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=sorted(ord(c) for c in chars))
        subsetter.subset(font)
        _rename(font, face)
        font.recalcTimestamp = False  # the head table keeps the source's date: the same input gives the same bytes
        out = io.BytesIO()
        font.save(out)
        return out.getvalue()
    finally:
        collection.close()


def _rename(font: object, face: Face) -> None:
    from fontTools.ttLib import TTFont

    assert isinstance(font, TTFont)
    name = font["name"]
    postscript = face.family.replace(" ", "") + "-Regular"
    for record in list(name.names):
        if record.nameID in (1, 4, 16):
            name.setName(face.family, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID == 3:
            name.setName(f"{postscript};subset of {face.source_family}", 3, record.platformID, record.platEncID,
                         record.langID)
        elif record.nameID == 6:
            name.setName(postscript, 6, record.platformID, record.platEncID, record.langID)
    cff = font["CFF "].cff
    cff.fontNames = [postscript]


def up_to_date(source: Path) -> bool:
    """Every font newer than everything it is made from (the collection, the catalogs, this script): subsetting
    takes seconds, so `make test` skips it when nothing changed."""
    inputs = [source, Path(__file__)] + [po for face in FACES for po in catalog_files(face.lang)]
    newest = max(p.stat().st_mtime for p in inputs)
    targets = [OUTPUT / face.file for face in FACES]
    return all(t.is_file() and t.stat().st_mtime > newest for t in targets)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomic (a temporary file renamed over the old one), and only when the bytes differ."""
    if path.is_file() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Subset Noto Sans CJK to the ja and zh_CN catalogs' characters.")
    ap.add_argument("--check", action="store_true", help="only say whether the fonts are present and up to date")
    ap.add_argument("--optional", action="store_true",
                    help="exit 0 when fontTools or the Noto CJK collection is missing (the app then uses system fonts)")
    ap.add_argument("--force", action="store_true", help="subset again even when the fonts are newer than the inputs")
    args = ap.parse_args(argv)
    source = find_source()
    missing = ""
    if source is None or not source.is_file():
        missing = (f"no Noto Sans CJK collection ({source or SOURCE_CANDIDATES[0]}); install fonts-noto-cjk or set "
                   f"{SOURCE_ENV}")
    else:
        try:
            import fontTools  # noqa: F401
        except ImportError:
            missing = "fontTools is not installed (it is in requirements-dev.lock)"
    if missing:
        print(f"build_fonts: {missing}: the app will use the system's CJK fonts", file=sys.stderr)
        return 0 if args.optional else 1
    assert source is not None
    if not args.check and not args.force and up_to_date(source):
        return 0
    stale = 0
    for face in FACES:
        target = OUTPUT / face.file
        try:
            data = subset_bytes(source, face, characters(face.lang))
        except (PoError, UnicodeDecodeError, LookupError, OSError) as exc:
            print(f"build_fonts: {exc}", file=sys.stderr)
            return 2
        if target.is_file() and target.read_bytes() == data:
            if not args.check:
                os.utime(target)  # up to date: newer than its inputs again, so the next run skips the subsetting
            continue
        stale += 1
        if args.check:
            print(f"build_fonts: {target.relative_to(ROOT)} is missing or stale; run this without --check")
            continue
        write_if_changed(target, data)
        print(f"build_fonts: wrote {target.relative_to(ROOT)} ({len(data) // 1024} KB)")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
