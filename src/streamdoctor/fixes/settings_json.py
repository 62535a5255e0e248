"""Editing a JSON settings file without disturbing it: merge keys into its `env` block, keep everything else.

Pure functions over text, so every real-world shape can be tested (hypothesis does). The output keeps the key
order, the indent (spaces or tabs, detected), a byte-order mark, CRLF line ends, the trailing newline and raw
non-ASCII text; what JSON cannot carry (comments, trailing commas) makes the file unreadable, and such a file
is refused with one line rather than "repaired".
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..i18n import _
from .journal import FixError

BOM = "\ufeff"
# JSON's own white space (RFC 8259): str.strip() would also take a vertical tab, a form feed or a no-break space,
# and a file of only those would then be "empty" and rewritten although it is not JSON.
JSON_SPACE = " \t\r\n"


class SettingsUnreadableError(FixError):
    pass


def parse_settings(text: str, name: str = "settings.json") -> dict[str, Any]:
    """The settings object; {} for an empty file. Refuses anything that is not a JSON object with an object env."""
    body = text[1:] if text.startswith(BOM) else text
    if not body.strip(JSON_SPACE):
        return {}
    try:
        obj = json.loads(body)
    except ValueError as exc:
        if re.search(r"//|/\*|,\s*[}\]]", body):
            raise SettingsUnreadableError(_(
                "{name} is not valid JSON (comments and trailing commas are not JSON): {error}; Stream Doctor does "
                "not edit a file it cannot read, fix it by hand or move it away and apply again", name=name,
                error=str(exc))) from None
        raise SettingsUnreadableError(_(
            "{name} is not valid JSON: {error}; Stream Doctor does not edit a file it cannot read, fix it by hand or "
            "move it away and apply again", name=name, error=str(exc))) from None
    if not isinstance(obj, dict):
        # TRANSLATORS: {kind} is a Python type name (list, str, int)
        raise SettingsUnreadableError(_("{name} holds a JSON {kind}, not an object; fix it by hand or move it away "
                                        "and apply again", name=name, kind=type(obj).__name__))
    if "env" in obj and not isinstance(obj["env"], dict):
        raise SettingsUnreadableError(_('{name} has an "env" that is not an object; fix it by hand and apply again',
                                        name=name))
    return obj


def detect_indent(text: str) -> int | str | None:
    """The indent of the first indented member line: an int for spaces, "\\t" for tabs, None for one-line JSON."""
    body = text[1:] if text.startswith(BOM) else text
    if "\n" not in body.strip():
        return None if body.strip() else 2
    m = re.search(r"\n([ \t]+)\S", body)
    if not m:
        return 2
    ws = m.group(1)
    return "\t" if ws.startswith("\t") else len(ws)


def merge_env(text: str, updates: dict[str, str | None], name: str = "settings.json") -> str:
    """`text` with `updates` merged into its env block (a None value removes the key). Raises on unreadable text."""
    obj = parse_settings(text, name)
    env = dict(obj.get("env") or {})
    for key, value in updates.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    if env or "env" in obj:
        obj["env"] = env
    return render_like(text, obj)


def render_like(original: str, obj: dict[str, Any]) -> str:
    body = original[1:] if original.startswith(BOM) else original
    indent = detect_indent(original)
    # Keep raw non-ASCII if the file had any (or had none at all); keep \u escapes if that is how it was written.
    ensure_ascii = "\\u" in body and not any(ord(c) > 127 for c in body)
    if indent is None:
        out = json.dumps(obj, ensure_ascii=ensure_ascii)
    else:
        out = json.dumps(obj, indent=indent, ensure_ascii=ensure_ascii)
    if body.endswith("\n") or not body.strip():
        out += "\n"
    if "\r\n" in body:
        out = out.replace("\n", "\r\n")
    return (BOM if original.startswith(BOM) else "") + out


def env_of(text: str) -> dict[str, Any]:
    """The env block of a settings text, {} if none or unreadable (for previews and verification)."""
    try:
        return dict(parse_settings(text).get("env") or {})
    except FixError:
        return {}
