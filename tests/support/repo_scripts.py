"""The repository's build and maintenance scripts (packaging/, scripts/) as modules, for their tests.

They are scripts run from the checkout, not part of the installed package, so tests load them by path. The module
is registered under its name before it runs: dataclasses and pickling in a script look their module up there.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def load_script(relative: str, name: str | None = None) -> ModuleType:
    """`relative` (e.g. "packaging/build_fonts.py") loaded as the module `name` (default: the file's stem)."""
    path = ROOT / relative
    name = name or path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
