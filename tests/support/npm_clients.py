"""Real npm-distributed clients (Claude Code) for the tests, installed once per machine and cached.

The product's advice about Claude Code is only worth what a real Claude Code does with it, so tests run the
real thing from the npm registry rather than a mock. Installing takes tens of seconds, so each package spec
gets its own prefix under ~/.cache/streamdoctor-tests/npm/<sanitised spec>/ and is installed only once; a file
lock per spec keeps parallel test processes (pytest-xdist, two engineers' runs) from installing into the same
folder at the same time. The install goes into a temporary sibling and is renamed into place when complete, so
a half-finished install (killed, timed out) is never taken for a cached one.

    prefix = install_npm_package("@anthropic-ai/claude-code@2.1.197")   # prefix/node_modules/.bin/claude
    argv = claude_code_command("2.1.197")                                # [binary] or [node, cli.js]

Claude Code has shipped two ways: up to 2.1.112 the package's `bin` is `cli.js`, a Node script; from 2.1.113
(changelog; checked with `npm view @anthropic-ai/claude-code@X bin`) `bin` points at
`bin/claude.exe`, a native (Bun) executable put there from the platform package in `optionalDependencies`
(`@anthropic-ai/claude-code-linux-x64` and friends). Both are handled.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

CLAUDE_CODE_PACKAGE = "@anthropic-ai/claude-code"
# Versions the tests pin (see tests/netlab/test_claude_code_real.py): the one the product's advice was checked
# against first (issue 17 tried 2.1.197), an older Node build from before the OS trust store (2.1.100: cli.js,
# bundled CAs only), and the newest the registry offered when this was written (2.1.332, native).
CLAUDE_CODE_PINNED = "2.1.197"
CLAUDE_CODE_OLDER = "2.1.100"
CLAUDE_CODE_NEWEST = "2.1.332"
CLAUDE_CODE_TESTED = (CLAUDE_CODE_OLDER, CLAUDE_CODE_PINNED, CLAUDE_CODE_NEWEST)

_DONE = ".streamdoctor-installed"  # written last: a prefix without it is not a finished install
_LOCK_POLL_S = 0.2  # how often a waiting process retries the lock; installs take tens of seconds


class NpmInstallError(RuntimeError):
    """npm is missing, failed, or took too long; the message carries the tail of its output."""


def cache_root() -> Path:
    """~/.cache/streamdoctor-tests/npm (XDG_CACHE_HOME honoured; STREAMDOCTOR_TEST_CACHE overrides)."""
    override = os.environ.get("STREAMDOCTOR_TEST_CACHE")
    if override:
        return Path(override) / "npm"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "streamdoctor-tests" / "npm"


def sanitise(spec: str) -> str:
    """A folder name for a package spec: `@anthropic-ai/claude-code@2.1.197` -> `anthropic-ai_claude-code@2.1.197`."""
    name = re.sub(r"[^A-Za-z0-9._@+-]+", "_", spec.lstrip("@"))
    if not name or name in {".", ".."}:
        raise ValueError(f"not an npm package spec: {spec!r}")
    return name[:150]


@contextlib.contextmanager
def _file_lock(path: Path, timeout_s: float) -> Iterator[None]:
    """An exclusive flock on `path`, waited for at most timeout_s (another process may be installing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise NpmInstallError(f"waited {timeout_s:g} s for the install lock {path}") from None
                time.sleep(_LOCK_POLL_S)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def install_npm_package(spec: str, *, timeout_s: float = 300) -> Path:
    """The install prefix of `spec` (prefix/node_modules/.bin holds its executables), installing it if needed.

    Uses the machine's npm: `npm install --prefix DIR --no-audit --no-fund SPEC`. Raises NpmInstallError when
    npm is missing, fails or exceeds timeout_s (the lock wait counts against the same budget).
    """
    root = cache_root()
    prefix = root / sanitise(spec)
    if (prefix / _DONE).is_file():
        return prefix
    npm = shutil.which("npm")
    if npm is None:
        raise NpmInstallError("npm is not installed (apt-get install npm)")
    t0 = time.monotonic()
    with _file_lock(root / f"{prefix.name}.lock", timeout_s):
        if (prefix / _DONE).is_file():  # another process finished it while we waited
            return prefix
        left = max(1.0, timeout_s - (time.monotonic() - t0))
        staging = root / f"{prefix.name}.tmp-{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        try:
            proc = subprocess.run(
                [npm, "install", "--prefix", str(staging), "--no-audit", "--no-fund", "--no-save",
                 "--loglevel=error", spec],
                capture_output=True, text=True, timeout=left, stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            shutil.rmtree(staging, ignore_errors=True)
            raise NpmInstallError(f"npm install {spec} took more than {left:.0f} s") from None
        if proc.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            tail = (proc.stderr or proc.stdout).strip()[-1500:]
            raise NpmInstallError(f"npm install {spec} failed (exit {proc.returncode}): {tail}")
        (staging / _DONE).write_text(spec + "\n")
        shutil.rmtree(prefix, ignore_errors=True)  # a stale, unfinished folder from a killed run
        staging.rename(prefix)
    return prefix


def _is_native(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) in (b"\x7fELF", b"MZ\x90\x00", b"\xcf\xfa\xed\xfe")


def _platform_binary(prefix: Path) -> Path | None:
    """The native binary of an optionalDependencies platform package, when the wrapper did not copy it."""
    scope = prefix / "node_modules" / "@anthropic-ai"
    for pkg in sorted(scope.glob("claude-code-linux-*")) if scope.is_dir() else []:
        for name in ("claude", "bin/claude", "claude.exe"):
            cand = pkg / name
            if cand.is_file() and _is_native(cand):
                return cand
    return None


def claude_code_binary(version: str, *, timeout_s: float = 300) -> Path:
    """The `claude` executable of @anthropic-ai/claude-code@version (native binary, or the cli.js Node script).

    A cli.js has a `#!/usr/bin/env node` line, so it runs directly when node is on PATH; claude_code_command()
    gives an argv that does not depend on PATH.
    """
    prefix = install_npm_package(f"{CLAUDE_CODE_PACKAGE}@{version}", timeout_s=timeout_s)
    link = prefix / "node_modules" / ".bin" / "claude"
    target = link.resolve() if link.exists() else None
    if target is not None and target.is_file() and _is_native(target):
        return target
    if target is not None and target.suffix == ".js":
        return target
    native = _platform_binary(prefix)  # bin/claude.exe still the placeholder (install scripts not run)
    if native is not None:
        return native
    raise NpmInstallError(f"no runnable claude in {prefix} (bin -> {target})")


def claude_code_command(version: str, *, timeout_s: float = 300) -> list[str]:
    """The argv prefix that starts Claude Code `version`: [native] or [node, cli.js]."""
    binary = claude_code_binary(version, timeout_s=timeout_s)
    if binary.suffix == ".js":
        node = shutil.which("node")
        if node is None:
            raise NpmInstallError(f"Claude Code {version} is a Node script and node is not installed")
        return [node, str(binary)]
    return [str(binary)]


def installed_version(version: str) -> str:
    """The version string the installed package.json declares (proves the cache holds what was asked for)."""
    import json

    prefix = install_npm_package(f"{CLAUDE_CODE_PACKAGE}@{version}")
    pkg = prefix / "node_modules" / "@anthropic-ai" / "claude-code" / "package.json"
    return str(json.loads(pkg.read_text())["version"])
