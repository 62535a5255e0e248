"""Refresh the dependency locks from pyproject.toml: `make lock` (needs the network to the package index).

Why two locks with hashes: what CI tests must be what users get. `requirements.lock` holds the app's runtime
dependencies (and the build backend the editable install needs); `requirements-dev.lock` adds the test and build
tools (pytest, ruff, mypy, PyInstaller) and is constrained to the runtime lock, so the frozen build, which is
made in the dev environment, carries exactly the runtime versions `make run` installs. Both are universal (every
OS and Python the project supports, selected by environment markers), so the Windows and macOS builds install
from the same lock as Linux. `pip install --require-hashes` refuses any file whose hash is not in the lock.

Each lock starts with a digest of the dependency lists in pyproject.toml; tests/unit/test_dependency_lock.py fails
when pyproject.toml changes without a refresh, or when a pin no longer satisfies pyproject's specifier.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
DIGEST_PREFIX = "# pyproject-dependencies-sha256: "
# The oldest Python the project supports: the lock resolves for it and, with --universal, for every newer one too.
PYTHON_VERSION = "3.11"


def pyproject_digest(path: Path = PYPROJECT) -> str:
    """sha256 of what the locks are made from: dependencies, optional dependencies and the build requirements."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    inputs = {
        "dependencies": data["project"].get("dependencies", []),
        "optional-dependencies": data["project"].get("optional-dependencies", {}),
        "build-system": data.get("build-system", {}).get("requires", []),
        "requires-python": data["project"].get("requires-python", ""),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def _uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    if not Path(found).exists():
        raise SystemExit("lock_deps: uv is needed to refresh the locks: .venv/bin/python -m pip install uv")
    return found


def _compile(out: Path, extra_args: list[str], build_requirements: Path) -> None:
    cmd = [
        _uv(), "pip", "compile", str(PYPROJECT.relative_to(ROOT)), str(build_requirements),
        "--universal", "--python-version", PYTHON_VERSION, "--generate-hashes", "--quiet",
        "--custom-compile-command", "make lock", "-o", str(out.relative_to(ROOT)), *extra_args,
    ]  # fmt: skip
    subprocess.run(cmd, cwd=ROOT, check=True)
    text = out.read_text(encoding="utf-8").replace(str(build_requirements), "(build-system requires)")
    out.write_text(f"{DIGEST_PREFIX}{pyproject_digest()}\n{text}", encoding="utf-8")


def main() -> int:
    data = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="sd-lock-") as tmp:
        build_in = Path(tmp) / "build-system.in"
        build_in.write_text("\n".join(data["build-system"]["requires"]) + "\n", encoding="utf-8")
        _compile(RUNTIME_LOCK, [], build_in)
        _compile(DEV_LOCK, ["--extra", "dev", "--constraint", str(RUNTIME_LOCK.relative_to(ROOT))], build_in)
    print(f"lock_deps: wrote {RUNTIME_LOCK.name} and {DEV_LOCK.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
