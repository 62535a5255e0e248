"""Probe "env.clients": which Claude clients are installed here and with which network settings.

Claude Code (on PATH, its version from the package.json next to the binary, its user and managed settings.json
and their env block), the anthropic Python package in each Python interpreter on PATH (known-bad versions
flagged), and Node with @anthropic-ai/sdk in npm's global folder. Nothing here talks to the network: the
only programs run are `python -c <print versions>` and `node --version`, each with a time limit.
"""

from __future__ import annotations

import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..cancel import CancelToken
from ..i18n import N_, _, ngettext
from ..i18n.joining import joined
from ..model import Evidence, ProbeResult, Status
from ..platform import current
from ..platform.command import run_command
from ..platform.common import read_text
from ..platform.parse_clients import (
    CLAUDE_CODE_NETWORK_KEYS,
    parse_claude_settings,
    parse_package_json,
    parse_pyenv_version_file,
    parse_python_probe_output,
    parse_version,
    sdk_known_bad,
)
from ..platform.parse_proxy import redact_proxy
from .base import ProbeContext, Progress, ProgressCallback, Stopwatch

CLAUDE_CODE_PACKAGE = "@anthropic-ai/claude-code"
NODE_SDK_PACKAGE = "@anthropic-ai/sdk"
MAX_INTERPRETERS = 8
INTERPRETER_TIMEOUT_S = 3.0
PYTHON_NAME = re.compile(r"^python(\d+(\.\d+)?)?(\.exe)?$", re.IGNORECASE)

# Prints "EXE<TAB>PYTHON VERSION<TAB>anthropic VERSION or -"; valid Python 2 and 3, imports nothing networked.
PYTHON_PROBE = (
    "from __future__ import print_function\n"
    "import sys\n"
    "v = '-'\n"
    "try:\n"
    "    import importlib.metadata as m\n"
    "    v = m.version('anthropic')\n"
    "except Exception:\n"
    "    pass\n"
    "print(sys.executable, '%d.%d.%d' % tuple(sys.version_info[:3]), v, sep='\\t')\n"
)


# --- Claude Code settings (shared with env.proxy) ---------------------------------------------------------


@dataclass
class SettingsFile:
    path: str
    scope: str  # "user" | "managed"
    exists: bool = False
    env: dict[str, str] = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "scope": self.scope, "exists": self.exists, "error": self.error,
                "env": {k: _shown(k, v) for k, v in self.env.items() if k in CLAUDE_CODE_NETWORK_KEYS}}


def _shown(key: str, value: str) -> str:
    """Values as they may appear in a report: proxy passwords replaced."""
    return (redact_proxy(value) or value) if "proxy" in key.lower() else value


def claude_config_dir() -> Path:
    configured = os.environ.get("CLAUDE_CONFIG_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".claude"


def read_claude_settings() -> list[SettingsFile]:
    """The user settings.json and the managed settings file(s) of this OS, in increasing precedence."""
    files = [SettingsFile(str(claude_config_dir() / "settings.json"), "user")]
    files += [SettingsFile(str(p), "managed") for p in current().locations.managed_settings_paths()]
    for f in files:
        text, error = read_text(Path(f.path))
        if text is None:
            f.exists = not (error or "").endswith("does not exist")
            f.error = error if f.exists else None
            continue
        f.exists = True
        f.env, _unused, f.error = parse_claude_settings(text)
    return files


def claude_code_env(files: list[SettingsFile], process_env: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(effective env, where each key came from): the process env, overridden by the user settings' env block,
    overridden by managed settings (highest precedence in Claude Code)."""
    env = dict(process_env)
    origin = {k: "environment" for k in process_env}
    for f in files:
        for k, v in f.env.items():
            env[k] = v
            origin[k] = f"{f.scope} settings {f.path}"
    return env, origin


# --- Claude Code install ------------------------------------------------------------------------------------


def claude_code_version(binary: str) -> tuple[str | None, str]:
    """(version, how we know) without running it: the package.json above the resolved binary (npm install),
    or the version-named file the native installer links to."""
    real = Path(os.path.realpath(binary))
    for parent in list(real.parents)[:6]:
        pkg = parent / "package.json"
        text, _unused = read_text(pkg)
        if text is None:
            continue
        name, version, _unused = parse_package_json(text)
        if name == CLAUDE_CODE_PACKAGE and version:
            return version, f"package.json at {pkg}"
    if parse_version(real.name) and re.fullmatch(r"\d+\.\d+\.\d+\S*", real.name):
        return real.name, f"native install {real}"
    return None, f"could not read: no {CLAUDE_CODE_PACKAGE} package.json near {real}"


MAX_PARENTS = 8  # how far up from the working folder to look for a project's node_modules (npx claude)


def _desktop_dirs() -> list[Path]:
    """Where the Claude desktop app keeps its own Claude Code, one folder per version (CLAUDE-CODE/<version>/):
    Windows %APPDATA%\\Claude\\claude-code\\<version>\\claude.exe (reported with `--version` output in
    open-webui/computer#157); the macOS folder is the same under Application Support (same report, unconfirmed)."""
    out = []
    appdata = os.environ.get("APPDATA")
    if appdata:
        out.append(Path(appdata) / "Claude" / "claude-code")
    out.append(Path.home() / "Library" / "Application Support" / "Claude" / "claude-code")
    return out


def _version_dirs(folder: Path, kind: str) -> list[dict[str, Any]]:
    """Version-named entries of a folder (~/.local/share/claude/versions/2.0.64, the desktop app's folder)."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [{"kind": kind, "path": str(folder / n), "version": n, "version_source": f"folder name {folder / n}"}
            for n in names if re.fullmatch(r"\d+\.\d+\.\d+\S*", n)]


def _package_at(pkg_dir: Path, kind: str) -> dict[str, Any] | None:
    text, _unused = read_text(pkg_dir / "package.json")
    if text is None:
        return None
    name, version, _unused = parse_package_json(text)
    if not version:
        return None
    return {"kind": kind, "path": str(pkg_dir), "version": version, "version_source": f"package.json at {pkg_dir}",
            "name": name}


def local_node_packages(package: str, start: Path | None = None) -> list[dict[str, Any]]:
    """`package` in node_modules of the working folder and its parents (what `npx claude` or a script runs)."""
    here = start or Path.cwd()
    found = []
    for d in [here, *here.parents][:MAX_PARENTS]:
        entry = _package_at(d / "node_modules" / package, "local node_modules")
        if entry is not None:
            found.append(entry)
    return found


def claude_code_installs(npm_roots: list[Path], start: Path | None = None) -> list[dict[str, Any]]:
    """Every Claude Code on this computer we can see without running one: on PATH, native installer
    (~/.local/bin/claude -> ~/.local/share/claude/versions/X), the old local install (~/.claude/local), npm
    global, a project's node_modules (npx claude), and the desktop app's own copy."""
    home = Path.home()
    installs: list[dict[str, Any]] = []
    on_path = shutil.which("claude")
    if on_path:
        version, source = claude_code_version(on_path)
        installs.append({"kind": "on PATH", "path": on_path, "version": version, "version_source": source})
    native = home / ".local" / "bin" / "claude"
    if native.exists() and (not on_path or os.path.realpath(on_path) != os.path.realpath(native)):
        version, source = claude_code_version(str(native))
        installs.append({"kind": "native installer", "path": str(native), "version": version,
                         "version_source": source})
    installs += _version_dirs(home / ".local" / "share" / "claude" / "versions", "native installer (kept version)")
    local = _package_at(home / ".claude" / "local" / "node_modules" / CLAUDE_CODE_PACKAGE, "local install")
    if local is not None:
        installs.append(local)
    for root in npm_roots:
        entry = _package_at(root / CLAUDE_CODE_PACKAGE, "npm global")
        if entry is not None:
            installs.append(entry)
    installs += local_node_packages(CLAUDE_CODE_PACKAGE, start)
    for d in _desktop_dirs():
        installs += _version_dirs(d, "Claude desktop app")
    seen: set[str] = set()
    unique = []
    for entry in installs:
        key = os.path.realpath(entry["path"])
        if key not in seen:
            seen.add(key)
            unique.append(entry)
    return unique


def scan_claude_code(npm_roots: list[Path]) -> dict[str, Any]:
    binary = shutil.which("claude")
    info: dict[str, Any] = {"installed": False, "path": binary, "version": None, "version_source": ""}
    info["installs"] = claude_code_installs(npm_roots)
    if binary:
        info["installed"] = True
        info["version"], info["version_source"] = claude_code_version(binary)
    if not info["version"]:  # not on PATH, or a wrapper (Windows claude.cmd) far from its package.json
        for root in npm_roots:
            text, _unused = read_text(root / CLAUDE_CODE_PACKAGE / "package.json")
            if text:
                _unused, version, _unused = parse_package_json(text)
                info.update(installed=True, version=version, version_source=f"package.json in npm global {root}")
                if not binary:
                    info["note"] = "installed with npm but not on PATH"
                break
    if not info["version"] and info["installs"]:
        first = info["installs"][0]  # not on PATH: the one a user most likely runs (native, then npm, npx, app)
        info.update(installed=True, version=first["version"], version_source=f"{first['kind']}: "
                    f"{first['version_source']}")
    files = read_claude_settings()
    env, origin = claude_code_env(files, {})
    info["settings"] = [f.as_dict() for f in files]
    info["settings_path"] = files[0].path
    info["env"] = {k: _shown(k, v) for k, v in env.items() if k in CLAUDE_CODE_NETWORK_KEYS}
    info["env_origin"] = {k: origin[k] for k in info["env"]}
    info["errors"] = [f"{f.path}: {f.error}" for f in files if f.error]
    return info


# --- Python interpreters --------------------------------------------------------------------------------------


def _pyenv_active_versions(root: Path) -> list[str]:
    if os.environ.get("PYENV_VERSION"):
        return [v for v in os.environ["PYENV_VERSION"].split(":") if v]
    here = Path.cwd()
    for d in [here, *here.parents]:
        text, _unused = read_text(d / ".python-version")
        if text is not None:
            return parse_pyenv_version_file(text)
    text, _unused = read_text(root / "version")
    return parse_pyenv_version_file(text or "")


def _pyenv_root(shims_dir: Path) -> Path | None:
    """The pyenv root a shims folder belongs to (…/.pyenv/shims or …/.pyenv/plugins/x/shims), else None."""
    if shims_dir.name != "shims":
        return None
    for candidate in (shims_dir.parent, shims_dir.parent.parent.parent):
        if (candidate / "versions").is_dir():
            return candidate
    return None


def find_python_interpreters(path_env: str | None = None) -> list[str]:
    """Real interpreter files reachable from PATH, without running pyenv's shims (each costs ~0.3-0.8 s):
    a shim is resolved the way pyenv does (PYENV_VERSION, .python-version, the global version file).
    Windows Store aliases (WindowsApps) are skipped: running one opens the Store."""
    found: list[str] = []
    seen: set[str] = set()
    for d in (path_env if path_env is not None else os.environ.get("PATH", "")).split(os.pathsep):
        if not d or "windowsapps" in d.lower():
            continue
        folder = Path(d)
        try:
            names = sorted(n for n in os.listdir(folder) if PYTHON_NAME.match(n))
        except OSError:
            continue
        pyenv = _pyenv_root(folder)
        for name in names:
            if pyenv is not None:
                candidates = [pyenv / "versions" / v / "bin" / name for v in _pyenv_active_versions(pyenv)
                              if v != "system"]
            else:
                candidates = [folder / name]
            for c in candidates:
                try:
                    real = os.path.realpath(c)
                    if not os.path.isfile(real) or not os.access(real, os.X_OK):
                        continue
                except OSError:
                    continue
                # A venv's python is a link to its base Python but has its own packages: the venv (pyvenv.cfg
                # next to its bin/ folder) is part of what makes an interpreter distinct (issue 15 item 11).
                venv = Path(c).parent.parent
                key = real + ("|" + str(venv.resolve()) if (venv / "pyvenv.cfg").is_file() else "")
                if key not in seen:
                    seen.add(key)
                    found.append(str(c))
    return found[:MAX_INTERPRETERS]


def probe_python(exe: str) -> dict[str, Any]:
    out = run_command([exe, "-c", PYTHON_PROBE], INTERPRETER_TIMEOUT_S)
    entry: dict[str, Any] = {"python": exe, "python_version": None, "version": None, "known_bad": None,
                             "error": None, "raw": out.raw().replace(PYTHON_PROBE, "<print the anthropic version>")}
    if not out.ok:
        entry["error"] = f"could not read: {out.why()}"
        return entry
    real_exe, py_version, sdk = parse_python_probe_output(out.stdout)
    entry.update(executable=real_exe, python_version=py_version, version=sdk, known_bad=sdk_known_bad(sdk))
    return entry


# --- Node -------------------------------------------------------------------------------------------------


def scan_node(npm_roots: list[Path]) -> dict[str, Any]:
    node = shutil.which("node")
    info: dict[str, Any] = {"node": node, "node_version": None, "installed": False, "version": None, "path": None,
                            "npm_roots": [str(r) for r in npm_roots], "error": None}
    if node:
        out = run_command([node, "--version"], 2.0)
        info["raw"] = out.raw()
        info["node_version"] = out.stdout.strip() if out.ok else None
        if not out.ok:
            info["error"] = f"could not read: {out.why()}"
    for root in npm_roots:
        pkg = root / NODE_SDK_PACKAGE / "package.json"
        text, _unused = read_text(pkg)
        if text is None:
            continue
        _unused, version, error = parse_package_json(text)
        info.update(installed=True, version=version, path=str(pkg.parent), error=error)
        break
    info["local"] = local_node_packages(NODE_SDK_PACKAGE)  # a project's own node_modules (issue 15 item 11)
    if not info["installed"] and info["local"]:
        first = info["local"][0]
        info.update(installed=True, version=first["version"], path=first["path"])
    return info


# --- the probe ----------------------------------------------------------------------------------------------


def scan_clients(cancel: CancelToken | None = None) -> dict[str, Any]:
    npm_roots = current().locations.npm_global_roots()
    interpreters = find_python_interpreters()
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="env-clients") as pool:
        node_future = pool.submit(scan_node, npm_roots)
        py_futures = [pool.submit(probe_python, exe) for exe in interpreters]
        claude = scan_claude_code(npm_roots)
        pythons = [f.result() for f in py_futures]
        node = node_future.result()
    raw = {f"python {p['python']}": p.pop("raw") for p in pythons}
    if "raw" in node:
        raw["node --version"] = node.pop("raw")
    return {"claude_code": claude, "python_sdks": pythons, "node_sdk": node, "raw": raw}


class EnvClientsProbe:
    name = "env.clients"
    title = N_("Claude clients")
    needs: tuple[str, ...] = ()
    quick = True

    def run(self, ctx: ProbeContext, progress: ProgressCallback, cancel: CancelToken) -> ProbeResult:
        clock = Stopwatch()
        progress(Progress(self.name, 0.1, _("looking for Claude Code, Python and Node")))
        data = scan_clients(cancel)
        cancel.raise_if_cancelled()
        cc, node = data["claude_code"], data["node_sdk"]
        with_sdk = [p for p in data["python_sdks"] if p.get("version")]
        # Whole sentences, one per client, so each can be translated on its own.
        sentences: list[str] = []
        others = len(cc.get("installs") or []) - 1
        if not cc["installed"]:
            sentences.append(_("Claude Code not found."))
        elif others > 0:
            sentences.append(ngettext("Claude Code {version} (and {n} other install).",
                                      "Claude Code {version} (and {n} other installs).", others,
                                      version=cc["version"] or _("(version unknown)")))
        else:
            sentences.append(_("Claude Code {version}.", version=cc["version"] or _("(version unknown)")))
        if with_sdk:
            sentences.append(_("Python SDK: {versions}.", versions=", ".join(
                _("anthropic {version} in Python {python}", version=p["version"], python=p["python_version"])
                for p in with_sdk)))
        else:
            sentences.append(ngettext("No anthropic Python package ({n} Python interpreter checked).",
                                      "No anthropic Python package ({n} Python interpreters checked).",
                                      len(data["python_sdks"])))
        if node["installed"]:
            sentences.append(_("Node SDK: @anthropic-ai/sdk {version}.", version=node["version"]))
        evidence = [Evidence("Claude Code", cc["version"] or (_("installed") if cc["installed"] else _("not found")),
                             raw=cc["version_source"])]
        for inst in cc.get("installs") or []:
            evidence.append(Evidence(_("Claude Code ({kind})", kind=inst["kind"]),
                                     inst["version"] or _("version unknown"), raw=inst["path"]))
        for key, value in cc["env"].items():
            evidence.append(Evidence(_("Claude Code setting {key}", key=key), value,
                                     raw=cc["env_origin"].get(key, "")))
        for p in data["python_sdks"]:
            evidence.append(Evidence(_("anthropic in {python}", python=p["python"]),
                                     p["version"] or (p["error"] or _("not installed"))))
        evidence.append(Evidence("Node", node["node_version"] or _("not found")))
        progress(Progress(self.name, 1.0, _("done")))
        return ProbeResult(self.name, Status.OK, joined(*sentences), data=data, evidence=evidence,
                           duration_s=clock())
