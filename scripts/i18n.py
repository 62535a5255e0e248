"""The translators' tool: extract the texts, update the catalogs, check them (`python scripts/i18n.py -h`).

Why Babel here and not in the app: Babel knows Python's syntax (it finds `_()`, `ngettext()` and `N_()` wherever
they are), writes .po files the way translation tools expect and knows each language's plural rule. The app needs
none of that at run time: it reads the compiled .mo files with the standard library's gettext
(packaging/build_translations.py compiles them without Babel, so `make run` does not need it either).

    extract [PATH...] [-o FILE.pot]   every marked text in src/streamdoctor (or PATHs) and the data files
    update [-p PATH]... PO...         add new texts to catalogs (created when missing), mark vanished ones obsolete
    check [-p PATH]... [PO...]        complete, placeholders identical, plurals whole (exit 1 and a list if not)
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT / "src" / "streamdoctor"
TRANSLATIONS = ROOT / "resources" / "translations"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
# Data files whose listed fields a user reads (the code shows them through `_(value)`); path relative to the package
DATA_FIELDS: dict[str, tuple[str, ...]] = {
    "data/error_texts.json": ("meaning",),
    "data/claude_code.json": ("symptom", "side_effects"),  # known bugs and API_TIMEOUT_MS's side effect, in advice
}
# Code that never shows text to a user: not scanned (the lab's protocol, the tests' own helpers)
SKIP_PARTS = ("__pycache__", "/locale/", "/resources/icon_data.py")
PLACEHOLDER = re.compile(r"(?<!\{)\{([^{}]*)\}(?!\})")


def placeholders(text: str) -> list[str]:
    """The named placeholders of a brace-format text, with their format specs, sorted."""
    return sorted(PLACEHOLDER.findall(text))


def _python_files(paths: Iterable[Path]) -> Iterator[Path]:
    for p in paths:
        files = ([p] if p.suffix == ".py" else []) if p.is_file() else sorted(p.rglob("*.py"))
        for f in files:
            if not any(part in f.as_posix() for part in SKIP_PARTS):
                yield f


def _json_texts(path: Path, fields: tuple[str, ...]) -> Iterator[tuple[int, str]]:
    raw = path.read_text(encoding="utf-8")

    def walk(node: object) -> Iterator[str]:
        if isinstance(node, dict):
            for k, v in node.items():
                if k in fields and isinstance(v, str):
                    yield v
                else:
                    yield from walk(v)
        elif isinstance(node, list):
            for v in node:
                yield from walk(v)

    for text in walk(json.loads(raw)):
        line = next((i + 1 for i, ln in enumerate(raw.splitlines()) if json.dumps(text)[1:-1] in ln), 0)
        yield line, text


def extract_catalog(paths: Iterable[Path] | None = None) -> Catalog:
    """Every marked text, with where it is used."""
    cat = Catalog(project="Stream Doctor", charset="utf-8", fuzzy=False)
    chosen = list(paths) if paths else [SOURCE_DIR]
    for f in _python_files(chosen):
        rel = f.resolve().relative_to(ROOT).as_posix() if f.resolve().is_relative_to(ROOT) else f.as_posix()
        with f.open("rb") as fh:
            for lineno, msg, comments, _ctx in extract("python", fh, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
                                                      options={}):
                cat.add(msg, locations=[(rel, lineno)], auto_comments=comments,
                        flags=("python-brace-format",) if "{" in (msg if isinstance(msg, str) else msg[0]) else ())
    for rel, fields in DATA_FIELDS.items():
        path = SOURCE_DIR / rel
        if paths and not any(path.resolve().is_relative_to(p.resolve()) for p in chosen):
            continue
        for lineno, text in _json_texts(path, fields):
            cat.add(text, locations=[(path.relative_to(ROOT).as_posix(), lineno)])
    return cat


def read(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def write(path: Path, cat: Catalog) -> None:
    buf = io.BytesIO()
    write_po(buf, cat, width=120, sort_output=False, include_previous=False)
    tmp = path.with_suffix(".po.tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(path)


def language_of(po: Path) -> str:
    return po.stem


def update(pot: Catalog, po_paths: list[Path]) -> None:
    for po in po_paths:
        if po.exists():
            cat = read(po)
        else:
            po.parent.mkdir(parents=True, exist_ok=True)
            cat = Catalog(locale=language_of(po), project="Stream Doctor", charset="utf-8", fuzzy=False)
        cat.update(pot, no_fuzzy_matching=True)
        cat.obsolete.clear()
        # Babel's template placeholders (EMAIL@ADDRESS, LL@li.org) would read as if someone could be written to
        cat.msgid_bugs_address = ""
        cat.language_team = "Stream Doctor developers"
        cat.revision_date = datetime.datetime.now(datetime.UTC)
        write(po, cat)
        print(f"i18n: {po.relative_to(ROOT) if po.is_relative_to(ROOT) else po}: {len(cat)} texts")


def problems(pot: Catalog, po: Catalog) -> list[str]:
    """What makes a catalog unfit to ship, one line each."""
    out = []
    for src in pot:
        if not src.id:
            continue
        msg = po.get(src.id)
        ident = src.id if isinstance(src.id, str) else src.id[0]
        if msg is None:
            out.append(f"missing: {ident!r}")
            continue
        if msg.fuzzy:
            out.append(f"fuzzy: {ident!r}")
        strings = msg.string if isinstance(msg.string, tuple | list) else (msg.string,)
        if not all(strings):
            out.append(f"untranslated: {ident!r}")
            continue
        if isinstance(src.id, str):
            wanted = [placeholders(src.id)]
        else:
            wanted = [placeholders(src.id[0]), placeholders(src.id[1])]
        if isinstance(src.id, tuple | list) and len(strings) != po.num_plurals:
            out.append(f"plural forms: {ident!r} has {len(strings)}, {po.locale} needs {po.num_plurals}")
        allowed = {tuple(w) for w in wanted}
        for s in strings:
            got = placeholders(s)
            # A plural form may leave out {n} ("one finding"); it must not add or change a placeholder.
            if tuple(got) not in allowed and not any(set(got) <= set(w) and set(w) - set(got) <= {"n"}
                                                     for w in wanted):
                out.append(f"placeholders: {ident!r} has {got}, the source has {wanted[-1]}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("extract")
    ex.add_argument("paths", nargs="*", type=Path)
    ex.add_argument("-o", "--output", type=Path, default=TRANSLATIONS / "streamdoctor.pot")
    up = sub.add_parser("update")
    up.add_argument("-p", "--path", dest="paths", action="append", type=Path,
                    help="extract only from this file or folder (repeat for more): a part of the source")
    up.add_argument("po", nargs="+", type=Path)
    ck = sub.add_parser("check")
    ck.add_argument("-p", "--path", dest="paths", action="append", type=Path)
    ck.add_argument("po", nargs="*", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "extract":
        cat = extract_catalog(args.paths)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        write(args.output, cat)
        print(f"i18n: {len(cat)} texts -> {args.output}")
    elif args.cmd == "update":
        update(extract_catalog(args.paths), args.po)
    elif args.cmd == "check":
        pot = extract_catalog(args.paths)
        pos = args.po or sorted(TRANSLATIONS.glob("*.po"))
        bad = 0
        for po in pos:
            found = problems(pot, read(po))
            bad += len(found)
            print(f"i18n: {po.name}: {len(pot)} texts, {len(found)} problems")
            for line in found[:200]:
                print(f"  {line}")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
