"""Issue 15 item 11 / issue 17: every Claude Code install, a project's @anthropic-ai/sdk, and venvs of a base
Python that comes earlier on PATH."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from streamdoctor.probes.env_clients import (
    claude_code_installs,
    find_python_interpreters,
    local_node_packages,
    probe_python,
)


def _pkg(folder: Path, name: str, version: str) -> None:
    folder.mkdir(parents=True)
    (folder / "package.json").write_text(json.dumps({"name": name, "version": version}))


def test_every_kind_of_claude_code_install_is_found(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setenv("APPDATA", str(tmp_path / "appdata"))
    (home / ".local" / "share" / "claude" / "versions" / "2.1.197").parent.mkdir(parents=True)
    (home / ".local" / "share" / "claude" / "versions" / "2.1.197").write_bytes(b"\x7fELF")
    _pkg(home / ".claude" / "local" / "node_modules" / "@anthropic-ai" / "claude-code", "@anthropic-ai/claude-code",
         "1.0.93")
    npm_root = tmp_path / "npm" / "lib" / "node_modules"
    _pkg(npm_root / "@anthropic-ai" / "claude-code", "@anthropic-ai/claude-code", "2.1.100")
    project = tmp_path / "project"
    _pkg(project / "node_modules" / "@anthropic-ai" / "claude-code", "@anthropic-ai/claude-code", "2.1.332")
    (tmp_path / "appdata" / "Claude" / "claude-code" / "2.1.215").mkdir(parents=True)
    (project / "src").mkdir()
    found = {(i["kind"], i["version"]) for i in claude_code_installs([npm_root], start=project / "src")}
    assert found == {("native installer (kept version)", "2.1.197"), ("local install", "1.0.93"),
                     ("npm global", "2.1.100"), ("local node_modules", "2.1.332"), ("Claude desktop app", "2.1.215")}


def test_a_projects_own_node_sdk_is_found(tmp_path):
    _pkg(tmp_path / "app" / "node_modules" / "@anthropic-ai" / "sdk", "@anthropic-ai/sdk", "0.60.0")
    (tmp_path / "app" / "lib").mkdir()
    assert [e["version"] for e in local_node_packages("@anthropic-ai/sdk", tmp_path / "app" / "lib")] == ["0.60.0"]


def test_a_venv_of_a_base_python_earlier_on_path_is_kept(tmp_path):
    """The venv's python links to the base; with the base first on PATH the venv was dropped as a duplicate,
    and the scan said there was no anthropic package although the venv had one."""
    base = Path(os.path.realpath(getattr(sys, "_base_executable", sys.executable)))
    venv = tmp_path / "venv"
    subprocess.run([str(base), "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = next((venv / "lib").glob("python3*/site-packages"))
    dist = site / "anthropic-9.9.9.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: anthropic\nVersion: 9.9.9\n")
    found = find_python_interpreters(os.pathsep.join([str(base.parent), str(venv / "bin")]))
    venv_python = [p for p in found if p.startswith(str(venv))]
    assert venv_python and any(not p.startswith(str(venv)) for p in found)
    assert probe_python(venv_python[0])["version"] == "9.9.9"
