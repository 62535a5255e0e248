"""What this copy of Stream Doctor is made of: its version, Python, and the versions of its runtime libraries.

Why: a report is only comparable with another when both say which SDK and Qt measured it, and the frozen app must
prove it carries the locked versions (requirements.lock) rather than whatever a machine had. A frozen build reads
`data/build-info.json`, written by the spec at build time from the build environment (the frozen app has no
package metadata to ask); a source install asks importlib.metadata for the runtime closure of the streamdoctor
distribution. Shown by `streamdoctor --version --verbose` and recorded in the bundle's manifest.
"""

from __future__ import annotations

import json
import platform
import re
import sys
from importlib import metadata, resources
from typing import Any

from . import __version__

BUILD_INFO_FILE = "build-info.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_versions(root: str = "streamdoctor") -> dict[str, str]:
    """{distribution: version} for every installed distribution `root` needs at run time (extras not followed)."""
    found: dict[str, str] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a marker-excluded dependency (another OS), or not installed
        key = _norm(dist.metadata["Name"])
        if key in found:
            continue
        found[key] = dist.version
        for req in dist.requires or []:
            if ";" in req and "extra" in req.split(";", 1)[1]:
                continue  # an optional extra's requirement: not part of the runtime
            match = _NAME.match(req)
            if match:
                todo.append(match.group(0))
    found.pop(_norm(root), None)
    return dict(sorted(found.items()))


def _frozen_build_info() -> dict[str, Any] | None:
    try:
        text = (resources.files("streamdoctor") / "data" / BUILD_INFO_FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return None
    info: dict[str, Any] = json.loads(text)
    return info


def build_info() -> dict[str, Any]:
    """The app version, how it was built, Python, the OS, and the runtime libraries with their versions."""
    frozen = bool(getattr(sys, "frozen", False))
    built = _frozen_build_info() if frozen else None
    return {
        "app_version": __version__,
        "frozen": frozen,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
        "packages": built["packages"] if built else runtime_versions(),
        "built_with": built.get("built_with", {}) if built else {},
    }


def verbose_version() -> str:
    info = build_info()
    kind = "frozen build" if info["frozen"] else "from source"
    lines = [f"streamdoctor {info['app_version']} ({kind}), Python {info['python']}, {info['os']}"]
    lines += [f"  {name} {version}" for name, version in info["packages"].items()]
    lines += [f"  built with {name} {version}" for name, version in info["built_with"].items()]
    return "\n".join(lines)
