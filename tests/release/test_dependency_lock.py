"""The hash locks (requirements.lock, requirements-dev.lock) agree with pyproject.toml and with this environment.

Why: `make run`, `make test` and `make dist` install only from the locks, so a dependency added to pyproject.toml
without `make lock` would never be installed (and the frozen app would lack it), and a lock edited by hand could
ship versions nothing was tested with.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from support.repo_scripts import load_script

ROOT = Path(__file__).resolve().parents[2]
lock_deps = load_script("scripts/lock_deps.py")

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)(?:\s*;\s*([^\\]+?))?\s*\\?$")


def pins(lock: Path) -> dict[str, tuple[str, str]]:
    """{name: (version, marker)} of a uv/pip-compile lock."""
    found = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            found[canonicalize_name(match.group(1))] = (match.group(2), (match.group(3) or "").strip())
    return found


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_locks_were_made_from_this_pyproject() -> None:
    digest = lock_deps.pyproject_digest()
    for lock in (lock_deps.RUNTIME_LOCK, lock_deps.DEV_LOCK):
        first = lock.read_text(encoding="utf-8").splitlines()[0]
        assert first == f"{lock_deps.DIGEST_PREFIX}{digest}", f"{lock.name} is stale: run `make lock`"


def test_the_digest_changes_when_a_dependency_changes(tmp_path: Path) -> None:
    changed = tmp_path / "pyproject.toml"
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    changed.write_text(text.replace('"psutil>=5.9"', '"psutil>=5.10"'), encoding="utf-8")
    assert lock_deps.pyproject_digest(changed) != lock_deps.pyproject_digest()


def test_every_declared_dependency_is_pinned_to_a_version_it_allows() -> None:
    data = pyproject()
    runtime, dev = pins(lock_deps.RUNTIME_LOCK), pins(lock_deps.DEV_LOCK)
    declared = [(r, runtime) for r in data["project"]["dependencies"]]
    declared += [(r, dev) for r in data["project"]["optional-dependencies"]["dev"]]
    declared += [(r, runtime) for r in data["build-system"]["requires"]]
    for text, lock in declared:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in lock, f"{req.name} is declared in pyproject.toml but not locked: run `make lock`"
        assert req.specifier.contains(lock[name][0], prereleases=True), f"{name}=={lock[name][0]} violates {req}"


def test_the_dev_lock_carries_exactly_the_runtime_versions() -> None:
    # The frozen build is made in the dev environment: its runtime libraries must be the ones `make run` gets.
    runtime, dev = pins(lock_deps.RUNTIME_LOCK), pins(lock_deps.DEV_LOCK)
    assert runtime, "no pins found in requirements.lock"
    for name, (version, _marker) in runtime.items():
        assert name in dev and dev[name][0] == version, f"{name}: runtime {version}, dev {dev.get(name)}"


def test_every_pin_has_a_hash() -> None:
    for lock in (lock_deps.RUNTIME_LOCK, lock_deps.DEV_LOCK):
        entries = re.split(r"\n(?=[A-Za-z0-9])", lock.read_text(encoding="utf-8"))
        for entry in entries:
            if "==" in entry.splitlines()[0]:
                assert "--hash=sha256:" in entry, f"{lock.name}: no hash for {entry.splitlines()[0]}"


def test_this_environment_runs_the_locked_runtime_versions() -> None:
    # What the tests exercise is what ships: the installed runtime libraries are exactly the locked ones.
    runtime = pins(lock_deps.RUNTIME_LOCK)
    for name in ("anthropic", "pyside6-essentials", "httpx2", "pydantic", "cryptography", "psutil"):
        assert metadata.version(name) == runtime[name][0], f"{name} installed {metadata.version(name)}"
