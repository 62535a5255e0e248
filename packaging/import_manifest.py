"""Every module the app imports at run time, found at build time, so the frozen build can prove it carries them all.

Why: PyInstaller follows import statements, but the app also imports lazily (inside functions, from probe threads,
through importlib), and one such import once went missing: the frozen app had no `anthropic` and blamed the
network for the ImportError. Here the source is read, not trusted:

1. every `import X`, `from X import Y` (X and, where it is a module, X.Y), relative imports resolved, and
   `importlib.import_module("X")` with a literal name, in every file of src/streamdoctor, at any depth;
2. every module of the streamdoctor package itself, and the top-level modules of every distribution in the
   runtime lock (requirements.lock) installed here: a dependency's own lazy imports (h2 for HTTP/2, say) are
   caught where they start;
3. each candidate is imported in a child process of the build's Python: what imports there (on this OS) is
   REQUIRED; what does not (winreg on Linux, `from X import function`) is left out.

The spec passes the required list to PyInstaller as hidden imports (so they are collected) and ships it as
`streamdoctor/data/import-manifest.json`; `streamdoctor --check-imports` (streamdoctor/selfcheck.py) imports every
entry inside the frozen app, and `make dist` fails when one is missing.

    python packaging/import_manifest.py [OUT.json]     (default build/import-manifest.json)
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # pyi_common, when run as a script
PACKAGE_DIR = ROOT / "src" / "streamdoctor"
DEFAULT_OUT = ROOT / "build" / "import-manifest.json"
RUNTIME_LOCK = ROOT / "requirements.lock"
# Importing every candidate in one child process takes a few seconds (PySide6, the SDK); a hang is a bug.
IMPORT_PROBE_TIMEOUT_S = 300
# Modules that are entry points, not libraries: importing them runs the app (or a build tool).
NOT_IMPORTED = {"streamdoctor.__main__"}


def module_name(path: Path, package_dir: Path = PACKAGE_DIR) -> str:
    rel = path.relative_to(package_dir.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(current: str, is_package: bool, level: int, module: str | None) -> str:
    base = current.split(".") if is_package else current.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def imports_in(source: str, current: str, is_package: bool) -> set[str]:
    """Every module name `source` may import, as candidates (some `from X import name` entries are not modules)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(current, is_package, node.level, node.module) if node.level else (node.module or "")
            if base:
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def candidates(package_dir: Path = PACKAGE_DIR) -> set[str]:
    names: set[str] = set()
    for path in sorted(package_dir.rglob("*.py")):
        current = module_name(path, package_dir)
        names.add(current)
        names |= imports_in(path.read_text(encoding="utf-8"), current, path.name == "__init__.py")
    return {n for n in names if n and n not in NOT_IMPORTED and not n.startswith("__future__")}


def locked_top_level_modules(lock: Path = RUNTIME_LOCK) -> set[str]:
    """The import names of the runtime lock's distributions that are installed in this environment."""
    from importlib.metadata import packages_distributions

    def norm(name: str) -> str:
        return name.lower().replace("_", "-").replace(".", "-")

    pinned = {norm(line.split("==", 1)[0]) for line in lock.read_text(encoding="utf-8").splitlines() if "==" in line}
    return {
        top
        for top, dists in packages_distributions().items()
        if any(norm(d) in pinned for d in dists) and top.isidentifier() and not top.startswith("_")
    }


_PROBE = """
import importlib, json, sys
ok = []
for name in json.load(sys.stdin):
    try:
        importlib.import_module(name)
    except BaseException:
        continue
    ok.append(name)
json.dump(ok, sys.stdout)
"""


def importable(names: Iterable[str], python: str = sys.executable) -> list[str]:
    """The names that import in a fresh child process of `python` (Qt offscreen: no display needed)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(PACKAGE_DIR.parent)}
    proc = subprocess.run(
        [python, "-c", _PROBE],
        input=json.dumps(sorted(names)),
        capture_output=True,
        text=True,
        env=env,
        timeout=IMPORT_PROBE_TIMEOUT_S,
        check=True,
    )
    return sorted(json.loads(proc.stdout.strip().splitlines()[-1]))


def excluded(name: str) -> bool:
    """Modules every build leaves out on purpose (pyi_common.EXCLUDED_MODULES: setuptools, pydantic.v1, ...)."""
    from pyi_common import EXCLUDED_MODULES

    return any(name == x or name.startswith(x + ".") for x in EXCLUDED_MODULES)


def build_manifest(package_dir: Path = PACKAGE_DIR) -> dict[str, object]:
    wanted = {n for n in candidates(package_dir) | locked_top_level_modules() if not excluded(n)}
    required = importable(wanted)
    return {
        "about": "modules the app imports at run time (packaging/import_manifest.py); --check-imports imports each",
        "platform": sys.platform,
        "modules": required,
    }


def write(out: Path = DEFAULT_OUT) -> Path:
    manifest = build_manifest()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    print(f"import_manifest: {len(manifest['modules'])} modules -> {out}")  # type: ignore[arg-type]
    return out


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    write(Path(args[0]) if args else DEFAULT_OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
