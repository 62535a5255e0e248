"""Small helpers the OS adapters share: reading a text file without raising, npm's global folders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .parse_clients import parse_npmrc_prefix

MAX_FILE_BYTES = 1_000_000


def read_text(path: Path) -> tuple[str | None, str | None]:
    """(text, None) or (None, 'could not read: why'): missing, permission, too large, a directory..."""
    from ..safeio import NotRegularFileError, read_regular

    try:
        data = read_regular(path, MAX_FILE_BYTES)  # never blocks on a FIFO or device named like the file
    except NotRegularFileError as exc:
        return None, f"could not read: it {exc.strerror}"
    except FileNotFoundError:
        return None, "could not read: the file does not exist"
    except PermissionError:
        return None, "could not read: permission denied"
    except OSError as exc:
        return None, f"could not read: {exc.strerror or exc}"
    return data.decode("utf-8-sig", errors="replace"), None


class NoDescriptions:
    """Linux and macOS interface names already say what they are (cscotun0, utun3, wg0)."""

    def descriptions(self) -> dict[str, str]:
        return {}


def npm_prefixes(home: Path) -> list[Path]:
    """Where `npm -g` may have installed packages, without running npm (it takes ~0.7 s and reads config only):
    $NPM_CONFIG_PREFIX, the prefix in ~/.npmrc, and the prefix of the node on PATH."""
    prefixes: list[Path] = []
    env_prefix = os.environ.get("NPM_CONFIG_PREFIX") or os.environ.get("npm_config_prefix")
    if env_prefix:
        prefixes.append(Path(env_prefix).expanduser())
    text, _ = read_text(home / ".npmrc")
    rc_prefix = parse_npmrc_prefix(text or "")
    if rc_prefix:
        prefixes.append(Path(os.path.expandvars(rc_prefix)).expanduser())
    node = shutil.which("node")
    if node:
        real = Path(os.path.realpath(node))
        prefixes.append(real.parent if os.name == "nt" else real.parent.parent)
    return prefixes


def unique_existing(paths: list[Path]) -> list[Path]:
    seen: set[str] = set()
    out = []
    for p in paths:
        key = os.path.normcase(os.path.realpath(p))
        if key in seen:
            continue
        seen.add(key)
        try:
            if p.is_dir():
                out.append(p)
        except OSError:
            continue
    return out
