"""`streamdoctor --check-imports`: prove inside a frozen build that every module the app imports at run time is there.

Why: the app imports some modules lazily (the SDK from probe threads, fixes and the bundle from the GUI), which a
freezer can miss; a missing module then surfaces as a failed test that the verdict blames on the network. The
build writes the list (packaging/import_manifest.py reads the source and the runtime lock) into
`data/import-manifest.json`; this imports every entry and names the ones that fail. `make dist` runs it right
after PyInstaller, so a build that lacks a module fails there, not on a user's laptop.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from importlib import resources
from typing import TextIO

MANIFEST_FILE = "import-manifest.json"


def load_manifest() -> list[str] | None:
    try:
        text = (resources.files("streamdoctor") / "data" / MANIFEST_FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return None
    modules: list[str] = json.loads(text)["modules"]
    return modules


def failed_imports(modules: list[str]) -> dict[str, str]:
    """{module: error} for every module that does not import."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # PySide6.QtGui and friends import without a display
    failures: dict[str, str] = {}
    for name in modules:
        try:
            importlib.import_module(name)
        except BaseException as exc:  # a module that calls sys.exit on import is a failure too
            failures[name] = f"{type(exc).__name__}: {exc}"
    return failures


def main(out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    modules = load_manifest()
    if modules is None:
        print(
            "streamdoctor: error: no import manifest: this is not a packaged build "
            "(`make dist` builds one and runs this check)",
            file=err,
        )
        return 2
    failures = failed_imports(modules)
    for name, error in failures.items():
        print(f"missing in this build: {name} ({error})", file=err)
    print(f"check-imports: {len(modules) - len(failures)} of {len(modules)} modules imported", file=out)
    return 1 if failures else 0
