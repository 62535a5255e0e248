"""Compile resources/translations/<lang>.po into the package: `python packaging/build_translations.py [--check]`.

Writes src/streamdoctor/locale/<lang>/LC_MESSAGES/streamdoctor.mo (gitignored), which the app reads with the
standard library's gettext and PyInstaller collects as package data. Standard library only, so `make run`, which
installs just the runtime lock, compiles them too; the translators' tool (scripts/i18n.py) is the one that needs
Babel. A fuzzy or empty translation is left out, so the app shows English there rather than a guess.
"""

from __future__ import annotations

import argparse
import ast
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "resources" / "translations"
OUTPUT = ROOT / "src" / "streamdoctor" / "locale"
DOMAIN = "streamdoctor"


class PoError(ValueError):
    pass


def _unquote(token: str, where: str) -> str:
    token = token.strip()
    if not (len(token) >= 2 and token[0] == token[-1] == '"'):
        raise PoError(f"{where}: expected a quoted string, got {token[:40]!r}")
    try:
        value = ast.literal_eval(token)
    except (SyntaxError, ValueError) as exc:
        raise PoError(f"{where}: bad string {token[:40]!r}") from exc
    if not isinstance(value, str):
        raise PoError(f"{where}: not a string")
    return value


def parse_po(text: str, name: str = "po") -> dict[str, str]:
    """msgid (singular NUL plural for plurals) -> msgstr (forms joined by NUL), for the entries that ship."""
    out: dict[str, str] = {}
    entry: dict[str, str] = {}
    fuzzy = False
    field = ""

    def finish() -> None:
        nonlocal entry, fuzzy
        if "msgid" in entry:
            key = entry["msgid"]
            if "msgid_plural" in entry:
                key += "\0" + entry["msgid_plural"]
                forms = [entry[k] for k in sorted((k for k in entry if k.startswith("msgstr[")),
                                                  key=lambda k: int(k[7:-1]))]
                value = "\0".join(forms) if forms and all(forms) else ""
            else:
                value = entry.get("msgstr", "")
            if "msgctxt" in entry:
                key = entry["msgctxt"] + "\x04" + key
            if value and (not fuzzy or key == ""):
                out[key] = value
        entry, fuzzy = {}, False

    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        where = f"{name}:{n}"
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            if any(k.startswith("msgstr") for k in entry):
                finish()  # entries not separated by a blank line
            fuzzy = "fuzzy" in line
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            if not field:
                raise PoError(f"{where}: a continuation line with nothing to continue")
            entry[field] += _unquote(line, where)
            continue
        keyword, _, rest = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and any(k.startswith("msgstr") for k in entry):
            finish()  # entries not separated by a blank line
        if keyword not in ("msgctxt", "msgid", "msgid_plural", "msgstr") and not keyword.startswith("msgstr["):
            raise PoError(f"{where}: unknown keyword {keyword[:20]!r}")
        field = keyword
        entry[field] = _unquote(rest, where)
    finish()
    if "" not in out:
        raise PoError(f"{name}: no header entry (msgid \"\")")
    return out


def mo_bytes(messages: dict[str, str]) -> bytes:
    """The GNU .mo format (what gettext.GNUTranslations reads): a header, two tables, then the strings."""
    keys = sorted(messages)
    ids = [k.encode("utf-8") for k in keys]
    strs = [messages[k].encode("utf-8") for k in keys]
    count = len(keys)
    header_size = 7 * 4
    orig_table = header_size
    trans_table = orig_table + count * 8
    data_start = trans_table + count * 8
    offsets_ids, offsets_strs, blob = [], [], b""
    for b in ids:
        offsets_ids.append((len(b), data_start + len(blob)))
        blob += b + b"\0"
    for b in strs:
        offsets_strs.append((len(b), data_start + len(blob)))
        blob += b + b"\0"
    out = struct.pack("<7I", 0x950412DE, 0, count, orig_table, trans_table, 0, data_start)
    out += b"".join(struct.pack("<2I", ln, off) for ln, off in offsets_ids)
    out += b"".join(struct.pack("<2I", ln, off) for ln, off in offsets_strs)
    return out + blob


def sources() -> dict[str, Path]:
    """language -> its catalog, resources/translations/<lang>.po."""
    return {po.stem: po for po in sorted(SOURCES.glob("*.po"))}


def compile_language(po: Path) -> bytes:
    return mo_bytes(parse_po(po.read_text(encoding="utf-8"), po.name))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Compile the translation catalogs into the package.")
    ap.add_argument("--check", action="store_true", help="only say whether the compiled catalogs are up to date")
    args = ap.parse_args(argv)
    stale = 0
    for lang, po in sources().items():
        mo = OUTPUT / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
        try:
            data = compile_language(po)
        except (PoError, UnicodeDecodeError) as exc:
            print(f"build_translations: {exc}", file=sys.stderr)
            return 2
        if mo.exists() and mo.read_bytes() == data:
            continue
        stale += 1
        if args.check:
            print(f"build_translations: {mo.relative_to(ROOT)} is missing or stale; run this without --check")
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        tmp = mo.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(mo)
        print(f"build_translations: wrote {mo.relative_to(ROOT)}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
