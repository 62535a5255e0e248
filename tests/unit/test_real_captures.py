"""The OS-output parsers on outputs real people captured on real machines (tests/fixtures/captures/INDEX.toml:
one entry per capture with where it came from and what a careful reader extracts from it).

Hand-written fixtures only prove that a parser reads what its author imagined; these prove it reads what
Windows, macOS and Linux really printed, in the languages and variants users have (IPv6 ping, point-to-point
tunnels, VPN adapters, localised ping texts). A capture the parsers misread is a bug, not a test to relax.
"""

from __future__ import annotations

import csv
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from streamdoctor.platform import parse_clients as pc
from streamdoctor.platform import parse_net as pn
from streamdoctor.platform import parse_proxy as pp
from streamdoctor.platform import wifi
from streamdoctor.platform.agents import match_adapter, match_process
from streamdoctor.platform.pac import evaluate_pac
from streamdoctor.probes import ping
from streamdoctor.probes.matrix.edge import parse_trace
from streamdoctor.probes.matrix.metered import parse_nmcli_metered

CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "captures"
INDEX = tomllib.loads((CAPTURES / "INDEX.toml").read_text(encoding="utf-8"))["capture"]
API_URL = "https://api.anthropic.com/v1/messages"


def _text(entry: dict[str, Any]) -> str:
    return (CAPTURES / entry["file"]).read_text(encoding="utf-8")


def _ping(entry: dict[str, Any], platform: str) -> dict[str, Any]:
    out = ping.parse(1400, int(entry.get("rc", 0)), _text(entry), platform)
    got: dict[str, Any] = {"reply": out.reply, "too_big": out.too_big, "error": out.error}
    if "mtu" in entry["expect"]:
        got["mtu"] = out.mtu if out.mtu is not None else ""  # "" in INDEX.toml: the output names no MTU
    if "phrase" in entry["expect"]:  # read through the phrase list, not only through the bare "DF" fallback
        got["phrase"] = any(p in line.lower() for line in _text(entry).splitlines() for p in ping._WIN_FRAG_PHRASES)
    return got


def _ip_addr(entry: dict[str, Any]) -> dict[str, Any]:
    rows = pn.parse_ip_addr_oneline(_text(entry))
    return {"addresses": [[r["interface"], r["family"], r["address"], r["prefix"], r.get("peer")] for r in rows]}


def _route_get(entry: dict[str, Any]) -> dict[str, Any]:
    route = pn.parse_macos_route_get(_text(entry))
    if route is None:
        return {"route": None}
    return {"destination": route.destination, "interface": route.interface, "gateway": route.gateway,
            "mtu": route.mtu}


def _route_get_linux(entry: dict[str, Any]) -> dict[str, Any]:
    route = pn.parse_ip_route_get(next((ln for ln in _text(entry).splitlines() if not ln.startswith("root@")), ""))
    if route is None:
        return {"route": None}
    return {"destination": route.destination, "gateway": route.gateway, "interface": route.interface,
            "source_address": route.source_address, "mtu": route.mtu if route.mtu is not None else ""}


def _kioslaverc_values(entry: dict[str, Any]) -> dict[str, Any]:
    sp = pp.parse_kioslaverc("[Proxy Settings]\nProxyType=1\n" + _text(entry))
    return {"http": sp.http or "", "https": sp.https or "", "socks": sp.socks or ""}


def _kioslaverc(entry: dict[str, Any]) -> dict[str, Any]:
    sp = pp.parse_kioslaverc(_text(entry), env={})
    got = {"mode": sp.mode, "http": sp.http or "", "https": sp.https or "", "socks": sp.socks or "",
           "pac_url": sp.pac_url or "", "static_for_https": pp.static_proxy_for(sp, API_URL) or ""}
    if "bypass" in entry["expect"]:
        got["bypass"] = sp.bypass
    return got


def _gsettings(entry: dict[str, Any]) -> dict[str, Any]:
    sp = pp.parse_gsettings_proxy(_text(entry))
    got = {"mode": sp.mode, "http": sp.http or "", "https": sp.https or "", "socks": sp.socks or "",
           "pac_url": sp.pac_url or "", "static_for_https": pp.static_proxy_for(sp, API_URL) or ""}
    if "bypass" in entry["expect"]:
        got["bypass"] = sp.bypass
    return got


def _scutil(entry: dict[str, Any]) -> dict[str, Any]:
    sp = pp.parse_scutil_proxy(_text(entry))
    got = {"mode": sp.mode, "pac_url": sp.pac_url or "", "http": sp.http or "", "https": sp.https or "",
           "static_for_https": pp.static_proxy_for(sp, API_URL) or ""}
    if "bypass" in entry["expect"]:
        got["bypass"] = sp.bypass
    return got


def _reg_query(entry: dict[str, Any]) -> dict[str, Any]:
    values = pp.parse_reg_query(_text(entry))
    sp = pp.parse_windows_internet_settings(values)
    return {"mode": sp.mode, "proxy_enable": values.get("ProxyEnable"), "bypass": sp.bypass, "values": len(values)}


def _proxy_string(entry: dict[str, Any]) -> dict[str, Any]:
    m = re.search(r"Proxy Server:\s*(\S+)", _text(entry))
    value = m.group(1) if m else ""
    servers = pp.parse_proxy_server_list(value)
    return {"proxy_server": value, "http": servers.get("http", ""), "https": servers.get("https", ""),
            "socks": servers.get("socks", "")}


def _ie_config(entry: dict[str, Any]) -> dict[str, Any]:
    fields = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in _text(entry).splitlines())}
    sp = pp.parse_winhttp_ie_config(fields.get("Auto-detect") == "Yes", fields.get("Auto config URL"),
                                    fields.get("Proxy URL"), fields.get("Proxy Bypass"))
    return {"auto_detect": sp.auto_detect, "pac_url": sp.pac_url, "http": sp.http, "https": sp.https,
            "bypass": sp.bypass, "mode": sp.mode}


def windows_adapters(text: str) -> list[tuple[str, str]]:
    """(connection name, driver description) from `ipconfig /all`, `route print` interface lists, or a bare
    adapter name per line: the same strings the probe gets from the registry (Connection\\Name, DriverDesc)."""
    rows: list[tuple[str, str]] = []
    name = ""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) == 1 and "..." not in lines[0]:
        return [("", lines[0].strip())]  # one adapter name, as an app or a driver list names it
    if any(line.strip().startswith("Id:") for line in lines):  # `pktmon comp list`: name, then its Id lines
        return [("", line.strip()) for line in lines if line[:1].isalpha()]
    if any("Connection Name:" in line for line in lines):  # `systeminfo`: "[01]: DESC" then "Connection Name: X"
        return [(after.split("Connection Name:", 1)[1].strip(), m.group(1))
                for m, after in zip((re.match(r"^\s+\[\d+\]:\s+(.+?)\s*$", x) for x in lines), lines[1:], strict=False)
                if m and "Connection Name:" in after]
    for line in lines:
        header = re.match(r"^(?:\S.* adapter|Scheda \S+) (.+):\s*$", line)  # English, Italian ipconfig headers
        if header:
            name = header.group(1)
            continue
        desc = re.match(r"^\s*(?:Description|Descrizione)[ .]*:\s*(.+?)\s*$", line)
        if desc:
            rows.append((name, desc.group(1)))
            continue
        listed = re.match(r".*\.{3,}\s*(\S.*?)\s*$", line)  # route print: "13...00 ff b0 aa 6d ce ......TAP-..."
        if listed:
            rows.append(("", listed.group(1)))
    return rows


def _agent_name(matched: Any) -> str:
    return matched[0].name if matched else ""


def _adapters(entry: dict[str, Any]) -> dict[str, Any]:
    rows = []
    for name, desc in windows_adapters(_text(entry)):
        pair = (match_adapter(name) if name else None) or match_adapter(desc)
        rows.append([name, desc, _agent_name(pair), _agent_name(match_adapter(desc))])
    return {"adapters": rows}


_PS_HEADER = re.compile(r"^\s*(?:PID|USER)\s.*\b(?:COMMAND|ARGS|CMD|COMM)\s*$")
PS_AUX_COLUMNS = 11  # USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND: `ps aux` piped through grep has no header


def _ps_name(command: str) -> str:
    """The executable's base name from a `ps` command column, as psutil's name() reports it: an app bundle's
    binary may contain spaces (".../Foo.app/Contents/MacOS/Foo Bar -arg"), a plain path ends at the first
    space."""
    bundle = re.search(r"\.app/Contents/MacOS/(.+?)(?:\s+-\S.*)?$", command)
    if bundle:
        return bundle.group(1).strip()
    return command.split()[0].rsplit("/", 1)[-1]


def process_names(text: str) -> list[str]:
    """Image names from `tasklist` rows (table or CSV), the command column of `ps` listings (its header gives
    the column count; `ps aux` rows without one have 11), or every *.exe named in other real listings."""
    names: list[str] = []
    ps_columns = 0
    for line in text.splitlines():
        words = line.split()
        if line.startswith('"'):  # tasklist /fo csv: the image name is the first field; the header has "PID"
            fields = next(csv.reader([line]))
            found = [fields[0]] if len(fields) > 1 and fields[1].isdigit() else []
        elif (row := re.match(r"^(\S.*?)\s+\d+\s+\S+\s+\d+\s+[\d.,]+ K\s*$", line)):
            found = [row.group(1)]
        elif re.search(r"\.exe\b", line, re.IGNORECASE):
            found = re.findall(r"[\w.-]+\.exe", line)
        elif _PS_HEADER.match(line):
            ps_columns, found = len(words), []
        elif len(words) > 1 and words[1].isdigit() and not words[0].isdigit():  # `ps aux`: USER first
            parts = line.split(None, PS_AUX_COLUMNS - 1)
            found = [_ps_name(parts[-1])] if len(parts) == PS_AUX_COLUMNS else []
        elif ps_columns and words and words[0].isdigit():  # `ps -o pid,...,args`: the header's columns
            parts = line.split(None, ps_columns - 1)
            found = [_ps_name(parts[-1])] if len(parts) == ps_columns else []
        else:
            found = []
        names.extend(n for n in found if n not in names)
    return names


def _processes(entry: dict[str, Any]) -> dict[str, Any]:
    rows = []
    for name in process_names(_text(entry)):
        agent = match_process(name)
        rows.append([name, agent.name if agent else ""])
    return {"processes": rows}


def _pac_file(entry: dict[str, Any]) -> dict[str, Any]:
    answers = []
    for url, _, _ in entry["expect"]["answers"]:
        result, why = evaluate_pac(_text(entry), url)
        answers.append([url, result if result is not None else why, pp.pac_first_choice(result or "")[0] or ""])
    return {"answers": answers}


def _pac_result(entry: dict[str, Any]) -> dict[str, Any]:
    text = _text(entry).strip()
    first, understood = pp.pac_first_choice(text)
    return {"choices": [list(c) for c in pp.parse_pac_result(text)], "first": first or "", "understood": understood}


def _wifi(parse: Any) -> Any:
    return lambda entry: {"ssid": parse(_text(entry)) or ""}


def _metered(entry: dict[str, Any]) -> dict[str, Any]:
    device = entry["expect"]["device"]
    return {"device": device, "metered": parse_nmcli_metered(_text(entry), device),
            "any_device": parse_nmcli_metered(_text(entry), None)}


def _claude_settings(entry: dict[str, Any]) -> dict[str, Any]:
    env, other, error = pc.parse_claude_settings(_text(entry))
    return {"env": {k: env.get(k) for k in entry["expect"]["env"]}, "env_count": len(env),
            "api_key_helper": other.get("apiKeyHelper", ""), "error": error or ""}


def _package_json(entry: dict[str, Any]) -> dict[str, Any]:
    name, version, error = pc.parse_package_json(_text(entry))
    return {"name": name, "version": version, "error": error or ""}


def _trace(entry: dict[str, Any]) -> dict[str, Any]:
    return {"trace": parse_trace(_text(entry))}


READERS = {
    "ping-windows": lambda e: _ping(e, "win32"),
    "ping-linux": lambda e: _ping(e, "linux"),
    "ping-macos": lambda e: _ping(e, "darwin"),
    "ip-addr": _ip_addr,
    "macos-route-get": _route_get,
    "ip-route-get": _route_get_linux,
    "kioslaverc-values": _kioslaverc_values,
    "kioslaverc": _kioslaverc,
    "gsettings-proxy": _gsettings,
    "scutil-proxy": _scutil,
    "reg-query-internet-settings": _reg_query,
    "winhttp-proxy-string": _proxy_string,
    "winhttp-ie-config": _ie_config,
    "windows-adapters": _adapters,
    "process-list": _processes,
    "cdn-trace": _trace,
    "nmcli-metered": _metered,
    "claude-settings": _claude_settings,
    "package-json": _package_json,
    "pac-file": _pac_file,
    "pac-result": _pac_result,
    "wifi-netsh": _wifi(wifi.parse_netsh_wlan),
    "wifi-networksetup": _wifi(wifi.parse_networksetup),
}


def extract(entry: dict[str, Any]) -> dict[str, Any]:
    got = READERS[entry["format"]](entry)
    return {k: got.get(k) for k in entry["expect"]} | ({"error": got["error"]} if got.get("error") else {})


@pytest.mark.parametrize("entry", INDEX, ids=[e["file"] for e in INDEX])
def test_capture_reads_as_a_careful_reader_would(entry: dict[str, Any]) -> None:
    assert extract(entry) == entry["expect"]


def test_every_capture_has_provenance_and_a_file() -> None:
    files = {p.relative_to(CAPTURES).as_posix() for p in CAPTURES.rglob("*.txt")}
    listed = {e["file"] for e in INDEX}
    assert files == listed  # no capture without an index entry, no entry without its file
    for e in INDEX:
        assert e["format"] in READERS and e["source"] and e["by"] and e["expect"], e["file"]
