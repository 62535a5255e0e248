"""Pure parsers for what the Claude clients leave on disk: package.json versions, Claude Code's settings.json
env block, interpreter version output, and the known-bad anthropic SDK version ranges (DESIGN.md facts).

Never raise on odd input: a broken file yields an error string the scan shows as "could not read: why".
"""

from __future__ import annotations

import json
import re
from typing import Any

# The env keys of Claude Code's settings.json that change how it reaches the API (DESIGN.md).
CLAUDE_CODE_NETWORK_KEYS = (
    "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "NODE_EXTRA_CA_CERTS",
    "CLAUDE_CODE_CERT_STORE", "API_TIMEOUT_MS", "CLAUDE_CODE_MAX_RETRIES", "CLAUDE_STREAM_IDLE_TIMEOUT_MS",
    "CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS", "CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS", "ANTHROPIC_BASE_URL",
    # Judged against the installed version (data/claude_code.json): removed, runtime-specific or watchdog switches.
    "CLAUDE_CODE_CONNECT_TIMEOUT_MS", "NODE_OPTIONS", "BUN_FEATURE_FLAG_DISABLE_IPV6", "CLAUDE_ENABLE_STREAM_WATCHDOG",
    "CLAUDE_CODE_DISABLE_NONSTREAMING_FALLBACK", "API_FORCE_IDLE_TIMEOUT", "CLAUDE_CODE_RETRY_WATCHDOG",
)

# (first bad version, first good version, what goes wrong). Versions compare as integer tuples.
SDK_KNOWN_BAD: list[tuple[tuple[int, ...], tuple[int, ...], str]] = [
    ((0, 47, 0), (0, 54, 0), "ignores HTTPS_PROXY (versions 0.47 to 0.53)"),
    ((0, 0, 0), (0, 71, 1), "its TCP keepalive options do not work (fixed in 0.71.1)"),
]


def parse_version(text: str | None) -> tuple[int, ...] | None:
    """'0.71.1' / 'v20.1.0' / '2.13.0rc1' -> (0, 71, 1) / (20, 1, 0) / (2, 13, 0); None if there is no number."""
    m = re.search(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", text or "")
    if not m:
        return None
    return tuple(int(g) for g in m.groups() if g is not None)


def sdk_known_bad(version: str | None) -> str | None:
    """Why this anthropic Python SDK version is known to break long streams, or None."""
    v = parse_version(version)
    if v is None:
        return None
    v3 = (v + (0, 0, 0))[:3]
    problems = [why for lo, hi, why in SDK_KNOWN_BAD if lo <= v3 < hi]
    return "; ".join(problems) or None


def parse_package_json(text: str) -> tuple[str | None, str | None, str | None]:
    """(name, version, error) from a package.json."""
    try:
        data = json.loads(text)
    except (ValueError, TypeError) as exc:
        return None, None, f"could not read: package.json is not valid JSON ({exc})"
    if not isinstance(data, dict):
        return None, None, "could not read: package.json is not an object"
    name, version = data.get("name"), data.get("version")
    return (name if isinstance(name, str) else None, version if isinstance(version, str) else None, None)


def parse_claude_settings(text: str) -> tuple[dict[str, str], dict[str, Any], str | None]:
    """(env block as strings, other network-relevant settings, error) from a Claude Code settings.json.
    Claude Code reads JSON with comments tolerated poorly; we accept strict JSON and say so otherwise."""
    try:
        data = json.loads(text)
    except (ValueError, TypeError) as exc:
        return {}, {}, f"could not read: not valid JSON ({exc})"
    if not isinstance(data, dict):
        return {}, {}, "could not read: the file is not a JSON object"
    env = data.get("env", {})
    if not isinstance(env, dict):
        return {}, {}, "could not read: its \"env\" entry is not an object"
    env_str = {str(k): _js_string(v) for k, v in env.items() if isinstance(v, str | int | float | bool)}
    other = {k: data[k] for k in ("apiKeyHelper", "forceLoginMethod") if k in data}
    return env_str, other, None


def _js_string(value: str | int | float | bool) -> str:
    """What Claude Code puts in the environment for a settings.json env value: its schema is
    `record(string(), coerce.string())` (cli.js of 2.1.100: `L.record(L.string(),L.coerce.string())`; the native
    2.1.332 build coerces with String() too), so JSON true is "true" and 1.0 is "1", as JavaScript's String()
    writes them, not Python's str() ("True", "1.0"). Real settings files use numbers and booleans there."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)


def parse_python_probe_output(text: str) -> tuple[str | None, str | None, str | None]:
    """Output of our one-line interpreter probe: 'EXE\\tPYVERSION\\tSDKVERSION-or-none' -> (exe, py, sdk)."""
    for line in (text or "").splitlines():
        parts = line.strip().split("\t")
        if len(parts) == 3:
            exe, py, sdk = (p.strip() or None for p in parts)
            return exe, py, (None if sdk == "-" else sdk)
    return None, None, None


def parse_pyenv_version_file(text: str) -> list[str]:
    """A pyenv 'version' / '.python-version' file: one version per line or separated by spaces; '#' comments."""
    out: list[str] = []
    for line in (text or "").splitlines():
        line = line.split("#", 1)[0]
        out.extend(w for w in line.split() if w)
    return out


def parse_npmrc_prefix(text: str) -> str | None:
    """The `prefix=` line of an .npmrc (where `npm -g` installs), or None."""
    for line in (text or "").splitlines():
        m = re.match(r"^\s*prefix\s*=\s*(.+?)\s*$", line)
        if m:
            return m.group(1).strip("'\"")
    return None
