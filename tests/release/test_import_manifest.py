"""The build's import manifest finds every way the app imports a module, and the frozen check names what is missing.

The bug this guards against: the SDK was imported only through importlib from probe threads, PyInstaller did not
see it, and the frozen app blamed the network for the ImportError.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from streamdoctor import buildinfo, selfcheck
from support.repo_scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))
manifest = load_script("packaging/import_manifest.py")

LAZY_SOURCE = '''
import json
from . import sibling
from ..core import helper

def later():
    import secret_lazy_module
    from deep.package import thing
    return importlib.import_module("by_name_only")
'''


def test_the_scanner_finds_lazy_relative_and_importlib_imports() -> None:
    found = manifest.imports_in(LAZY_SOURCE, "pkg.sub.mod", is_package=False)
    assert {"json", "secret_lazy_module", "deep.package", "deep.package.thing", "by_name_only"} <= found
    assert {"pkg.sub", "pkg.sub.sibling", "pkg.core", "pkg.core.helper"} <= found


def test_relative_imports_in_a_package_init_resolve_against_the_package_itself() -> None:
    assert "pkg.sub.mod" in manifest.imports_in("from .mod import x", "pkg.sub", is_package=True)


def test_the_real_source_yields_the_sdk_and_the_probes() -> None:
    names = manifest.candidates()
    assert "anthropic" in names  # imported only inside load_anthropic(), from probe threads
    assert "streamdoctor.probes.stream" in names
    assert "streamdoctor.__main__" not in names  # an entry point: importing it would start the app


def test_no_module_is_imported_by_a_computed_name() -> None:
    # A computed name (importlib.import_module(variable)) is invisible to the manifest and to the freezer.
    import ast

    for path in (ROOT / "src" / "streamdoctor").rglob("*.py"):
        if path.name == "selfcheck.py":
            continue  # the check itself imports the manifest's names
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module":
                assert node.args and isinstance(node.args[0], ast.Constant), f"{path}: import_module(<computed>)"


def test_excluded_modules_stay_out_of_the_manifest() -> None:
    assert manifest.excluded("pydantic.v1.main")
    assert manifest.excluded("setuptools")
    assert not manifest.excluded("pydantic")


def test_the_frozen_check_names_each_missing_module() -> None:
    failures = selfcheck.failed_imports(["json", "streamdoctor.no_such_module"])
    assert list(failures) == ["streamdoctor.no_such_module"]
    assert "ModuleNotFoundError" in failures["streamdoctor.no_such_module"]


def test_the_frozen_check_reads_the_manifest_it_is_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selfcheck, "load_manifest", lambda: ["json", "streamdoctor.no_such_module"])
    out, err = io.StringIO(), io.StringIO()
    assert selfcheck.main(out, err) == 1
    assert "missing in this build: streamdoctor.no_such_module" in err.getvalue()
    assert "1 of 2 modules imported" in out.getvalue()


def test_the_check_outside_a_build_says_so_in_one_line() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert selfcheck.main(out, err) == 2  # a source tree has no manifest: only builds carry one
    assert len(err.getvalue().strip().splitlines()) == 1


def test_build_info_lists_the_runtime_libraries_and_not_the_dev_tools() -> None:
    info = buildinfo.build_info()
    packages = info["packages"]
    assert "anthropic" in packages and "pyside6-essentials" in packages and "httpx2" in packages
    assert "pytest" not in packages and "pyinstaller" not in packages and "mypy" not in packages
    assert json.loads(json.dumps(info)) == info  # goes into the bundle as JSON
