"""Pure parsers for proxy settings of every OS: environment variables, macOS `scutil --proxy`, GNOME gsettings,
KDE kioslaverc, the Windows registry (Internet Settings) and WinHTTP strings, and PAC results.

They take text (or a dict of registry values) and return plain data; none of them raises on odd input, because
the input is whatever a user's machine printed. Tested on recorded outputs of all three OSes.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from .base import SystemProxy

PROXY_ENV_NAMES = ("https_proxy", "http_proxy", "all_proxy", "no_proxy")


# --- proxy URLs -------------------------------------------------------------------------------------------


def normalise_proxy(value: str | None, default_scheme: str = "http") -> str | None:
    """'proxy:3128' -> 'http://proxy:3128'; keeps a scheme and credentials; '' or garbage -> None."""
    if not value:
        return None
    value = value.strip().strip("'\"").strip()
    if not value or any(c.isspace() for c in value):
        return None
    if "://" not in value:
        value = f"{default_scheme}://{value}"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return value.rstrip("/")


def redact_proxy(url: str | None) -> str | None:
    """The proxy URL with its password replaced, for text shown to people and kept in reports."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}:***@{netloc}").geturl()


_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^\s:/@'\"]*:)[^\s@/'\"]+@")
_PASSWORD_SETTING = re.compile(r"(?im)^(.*(?:password|passwd)\S*[\s=:]+)(?!''|\"\"|$)(\S.*)$")


def redact_text(text: str) -> str:
    """Raw outputs kept as evidence, with proxy passwords replaced: user:pass@ in URLs and password settings
    (GNOME's authentication-password, KDE/Windows values named *password*)."""
    text = _URL_PASSWORD.sub(r"\1***@", text or "")
    return _PASSWORD_SETTING.sub(lambda m: m.group(1) + "'***'", text)


def host_port(host: str | None, port: Any, scheme: str = "http") -> str | None:
    """Build a proxy URL from separate host and port settings; an empty host or port 0 means 'not set'."""
    host = (host or "").strip()
    if not host:
        return None
    try:
        port_num = int(str(port).strip())
    except (TypeError, ValueError):
        port_num = 0
    if "://" in host:
        scheme, host = host.split("://", 1)
    if ":" in host and not host.startswith("["):
        try:
            ipaddress.IPv6Address(host)
            host = f"[{host}]"
        except ValueError:
            pass
    return normalise_proxy(f"{scheme}://{host}:{port_num}" if port_num > 0 else f"{scheme}://{host}")


# --- environment variables ----------------------------------------------------------------------------------


def env_proxies(env: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """The proxy variables in `env`, both spellings. Returns {"https": {"name": "HTTPS_PROXY", "value": ...}, ...}
    for https/http/all/no. Like curl and Python, the lower-case spelling wins when both are set."""
    found: dict[str, dict[str, str]] = {}
    for key in PROXY_ENV_NAMES:
        kind = key.split("_", 1)[0]
        for name in (key.upper(), key):  # lower-case last, so it wins
            value = env.get(name)
            if value is not None and value.strip():
                found[kind] = {"name": name, "value": value.strip()}
    return found


def env_proxy_for(url: str, env: Mapping[str, str]) -> tuple[str | None, str]:
    """(proxy URL or None, why) for `url` following the env rules the Python SDK and Node clients share:
    HTTPS_PROXY for https URLs, HTTP_PROXY for http, then ALL_PROXY; NO_PROXY exempts hosts."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        scheme = parts.scheme or "https"
    except ValueError:
        return None, "not a URL"
    found = env_proxies(env)
    if "no" in found and no_proxy_matches(host, found["no"]["value"]):
        return None, f"{found['no']['name']} exempts {host}"
    for kind in (scheme, "all"):
        if kind in found:
            proxy = normalise_proxy(found[kind]["value"])
            if proxy:
                return proxy, f"{found[kind]['name']} environment variable"
            return None, f"{found[kind]['name']} is set but is not a usable URL"
    return None, "no proxy environment variable"


def no_proxy_matches(host: str, no_proxy: str) -> bool:
    """Whether NO_PROXY (comma or space separated: '*', hosts, '.domain', 'domain', IPs, CIDRs, host:port)
    exempts `host`. Follows the common subset curl, Python and Node agree on."""
    host = (host or "").strip().lower().strip("[]").rstrip(".")
    if not host:
        return False
    try:
        host_ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipaddress.ip_address(host)
    except ValueError:
        host_ip = None
    for raw in re.split(r"[,\s]+", no_proxy or ""):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        if entry.startswith("[") and "]" in entry:
            entry = entry[1:entry.index("]")]
        elif entry.count(":") == 1:
            entry = entry.split(":", 1)[0]  # host:port -> host (the port is not checked here)
        if host_ip is not None:
            try:
                if host_ip in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        entry = entry.lstrip("*").lstrip(".").rstrip(".")
        if entry and (host == entry or host.endswith("." + entry)):
            return True
    return False


# --- macOS: scutil --proxy ----------------------------------------------------------------------------------


def parse_scutil_dict(text: str) -> dict[str, Any]:
    """Parse scutil's '<dictionary> { key : value ... }' print-out into nested dicts and lists."""
    root: dict[str, Any] = {}
    stack: list[Any] = [root]
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        if line == "}":
            if len(stack) > 1:
                stack.pop()
            continue
        if " : " not in line and not line.endswith(":"):
            continue
        key, _, value = line.partition(" : ")
        key, value = key.strip(), value.strip()
        container = stack[-1]
        if value.startswith("<dictionary>") or value.startswith("<array>"):
            child: Any = {} if value.startswith("<dictionary>") else []
            _put(container, key, child)
            if value.endswith("{"):
                stack.append(child)
            continue
        _put(container, key, value)
    return root


def _put(container: Any, key: str, value: Any) -> None:
    if isinstance(container, list):
        container.append(value)
    else:
        container[key] = value


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes")


def parse_scutil_proxy(text: str) -> SystemProxy:
    """`scutil --proxy` (macOS static proxies, PAC URL, WPAD) -> SystemProxy."""
    sp = SystemProxy(source="macOS network settings (scutil --proxy)")
    d = parse_scutil_dict(text)
    if not d:
        sp.mode, sp.error = "unknown", "could not read: scutil printed no proxy dictionary"
        return sp
    if _flag(d.get("HTTPEnable")):
        sp.http = host_port(d.get("HTTPProxy"), d.get("HTTPPort"))
    if _flag(d.get("HTTPSEnable")):
        sp.https = host_port(d.get("HTTPSProxy"), d.get("HTTPSPort"))
    if _flag(d.get("SOCKSEnable")):
        sp.socks = host_port(d.get("SOCKSProxy"), d.get("SOCKSPort"), "socks5")
    exceptions = d.get("ExceptionsList")
    sp.bypass = [str(e) for e in exceptions] if isinstance(exceptions, list) else []
    if _flag(d.get("ExcludeSimpleHostnames")):
        sp.bypass.append("<local>")
    if _flag(d.get("ProxyAutoConfigEnable")):
        sp.pac_url = (str(d.get("ProxyAutoConfigURLString") or "").strip()) or None
    sp.auto_detect = _flag(d.get("ProxyAutoDiscoveryEnable"))
    sp.mode = _mode(sp)
    return sp


def _mode(sp: SystemProxy) -> str:
    if sp.pac_url:
        return "pac"
    if sp.http or sp.https or sp.socks:
        return "manual"
    if sp.auto_detect:
        return "auto-detect"
    return "none"


# --- GNOME: gsettings ---------------------------------------------------------------------------------------


def parse_gvariant(text: str) -> Any:
    """The GVariant text forms gsettings prints for proxy keys: 'str', 8080, true, ['a', 'b'], @as []."""
    text = (text or "").strip()
    if text.startswith("@"):
        text = text.split(" ", 1)[1].strip() if " " in text else ""
    if text.startswith("["):
        return [s for s in (_unquote(m) for m in re.findall(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"", text))]
    if text[:1] in ("'", '"'):
        return _unquote(text)
    if text in ("true", "false"):
        return text == "true"
    m = re.fullmatch(r"(?:u?int\d+\s+)?(-?\d+)", text)
    if m:
        return int(m.group(1))
    return text


def _unquote(s: str) -> str:
    s = s.strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        s = s[1:-1]
    return re.sub(r"\\(.)", r"\1", s)


def parse_gsettings_proxy(text: str) -> SystemProxy:
    """`gsettings list-recursively org.gnome.system.proxy` -> SystemProxy (mode none / manual / auto)."""
    sp = SystemProxy(source="GNOME proxy settings (gsettings)")
    values: dict[str, Any] = {}
    for line in (text or "").splitlines():
        parts = line.strip().split(None, 2)
        if len(parts) < 2 or not parts[0].startswith("org.gnome.system.proxy"):
            continue
        schema, key = parts[0], parts[1]
        values[f"{schema[len('org.gnome.system.proxy'):].lstrip('.') or 'proxy'}.{key}"] = parse_gvariant(
            parts[2] if len(parts) > 2 else "")
    if not values:
        sp.mode, sp.error = "unknown", "could not read: gsettings printed no org.gnome.system.proxy keys"
        return sp
    mode = str(values.get("proxy.mode", "none"))
    ignore = values.get("proxy.ignore-hosts", [])
    sp.bypass = [str(h) for h in ignore] if isinstance(ignore, list) else []
    if mode == "auto":
        url = str(values.get("proxy.autoconfig-url") or "").strip()
        sp.pac_url = url or None
        sp.auto_detect = not url  # GNOME: auto with no URL means WPAD
    elif mode == "manual":
        http = host_port(values.get("http.host"), values.get("http.port"))
        if http and values.get("http.use-authentication") and values.get("http.authentication-user"):
            user = quote(str(values["http.authentication-user"]), safe="")
            password = quote(str(values.get("http.authentication-password") or ""), safe="")
            http = http.replace("://", f"://{user}{':' + password if password else ''}@", 1)
        sp.http = http
        sp.https = host_port(values.get("https.host"), values.get("https.port"))
        if not sp.https:
            # GNOME differs from macOS and Windows here: glib-networking's resolver uses the http proxy for
            # https when no https proxy is set (libproxy/libproxy#270 quotes the schema: "If an http proxy is
            # configured, but an https proxy is not, then the http proxy is also used for https.")
            sp.https = http
        sp.socks = host_port(values.get("socks.host"), values.get("socks.port"), "socks5")
    elif mode != "none":
        sp.mode, sp.error = "unknown", f"could not read: unknown GNOME proxy mode {mode!r}"
        return sp
    sp.mode = _mode(sp)
    return sp


# --- KDE: kioslaverc ----------------------------------------------------------------------------------------


def parse_ini_section(text: str, section: str) -> dict[str, str]:
    """Key=value pairs of one [section] of an INI-like file; tolerant of anything else in it."""
    out: dict[str, str] = {}
    current = None
    for line in (text or "").splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and "]" in line:
            current = line[1:line.index("]")]
            continue
        if current == section and "=" in line:
            key, _, value = line.partition("=")
            key = re.sub(r"\[\$[a-z]+\]$", "", key.strip())  # KDE's immutable marker: Key[$i]=...
            out[key] = value.strip()
    return out


def _kde_proxy(value: str, scheme: str) -> str | None:
    """KDE writes 'http://proxy 8080' (space before the port) or 'proxy:8080'. Its 'socks://' is SOCKS5: KIO's
    http worker accepts the scheme 'socks' and Qt turns it into QNetworkProxy::Socks5Proxy (KIO speaks no
    SOCKS4); real kioslaverc files say 'socks://127.0.0.1 7890'."""
    value = (value or "").strip()
    if not value:
        return None
    m = re.fullmatch(r"(.+?)\s+(\d+)", value)
    url = host_port(m.group(1), m.group(2), scheme) if m else normalise_proxy(value, scheme)
    if url and url.lower().startswith("socks://"):
        url = "socks5://" + url[len("socks://"):]
    return url


def parse_kioslaverc(text: str, env: Mapping[str, str] | None = None) -> SystemProxy:
    """~/.config/kioslaverc [Proxy Settings] -> SystemProxy. ProxyType: 0 none, 1 manual, 2 PAC, 3 WPAD,
    4 'use the environment variables named in the *Proxy keys'."""
    sp = SystemProxy(source="KDE proxy settings (kioslaverc)")
    section = parse_ini_section(text, "Proxy Settings")
    try:
        kind = int(section.get("ProxyType", "0") or "0")
    except ValueError:
        sp.mode, sp.error = "unknown", f"could not read: ProxyType={section.get('ProxyType')!r} is not a number"
        return sp
    sp.bypass = [h.strip() for h in re.split(r"[,\s]+", section.get("NoProxyFor", "")) if h.strip()]
    if kind == 1:
        sp.http = _kde_proxy(section.get("httpProxy", ""), "http")
        sp.https = _kde_proxy(section.get("httpsProxy", ""), "http")
        sp.socks = _kde_proxy(section.get("socksProxy", ""), "socks5")
    elif kind == 2:
        sp.pac_url = section.get("Proxy Config Script", "").strip() or None
    elif kind == 3:
        sp.auto_detect = True
    elif kind == 4:
        env = env or {}
        sp.http = normalise_proxy(env.get(section.get("httpProxy", "") or "HTTP_PROXY", ""))
        sp.https = normalise_proxy(env.get(section.get("httpsProxy", "") or "HTTPS_PROXY", ""))
        sp.socks = normalise_proxy(env.get(section.get("socksProxy", "") or "SOCKS_PROXY", ""), "socks5")
        names = section.get("NoProxyFor", "") or "NO_PROXY"
        sp.bypass = [h.strip() for h in re.split(r"[,\s]+", env.get(names, "")) if h.strip()]
    sp.mode = _mode(sp) if kind != 4 or sp.http or sp.https else "env"
    return sp


# --- Windows: registry (Internet Settings) and WinHTTP -----------------------------------------------------


def parse_proxy_server_list(value: str) -> dict[str, str]:
    """Windows ProxyServer / WinHTTP proxy strings: 'host:port' (all protocols) or
    'http=h:p;https=h2:p2;socks=h3:p3' -> {"http": url, "https": url, "socks": url}."""
    out: dict[str, str] = {}
    for item in re.split(r"[;\s]+", (value or "").strip()):
        if not item:
            continue
        if "=" in item:
            proto, _, addr = item.partition("=")
            proto = proto.strip().lower()
            scheme = "socks4" if proto == "socks" else "http"
            url = normalise_proxy(addr, scheme)
            if url and proto in ("http", "https", "socks", "ftp"):
                out.setdefault(proto, url)
        else:
            url = normalise_proxy(item)
            if url:
                for proto in ("http", "https"):
                    out.setdefault(proto, url)
    return out


def parse_reg_query(text: str) -> dict[str, Any]:
    """`reg query "HKCU\\...\\Internet Settings"` text -> {value name: int | str | bytes}. Tolerates localised
    headers and blank lines: only 'NAME  REG_TYPE  DATA' lines count."""
    values: dict[str, Any] = {}
    key_path = ""
    root = ""
    for line in (text or "").splitlines():
        if line.startswith("HKEY_") or line.startswith("HKCU"):
            key_path = line.strip()
            root = root or key_path
            continue
        in_connections = bool(root) and key_path.lower() == root.lower() + "\\connections"
        if root and key_path != root and not in_connections:
            continue  # a subkey of a `reg query /s` dump: its values are not Internet Settings values
        m = re.match(r"^\s{2,}(.+?)\s{2,}(REG_[A-Z_]+)\s{2,}(.*?)\s*$", line) or re.match(
            r"^\s{2,}(.+?)\s{2,}(REG_[A-Z_]+)\s*$", line)
        if not m:
            continue
        name, kind = m.group(1).strip(), m.group(2)
        if in_connections and name != "DefaultConnectionSettings":
            continue
        data = m.group(3) if m.lastindex and m.lastindex >= 3 else ""
        if kind in ("REG_DWORD", "REG_QWORD"):
            try:
                values[name] = int(data, 16) if data.lower().startswith("0x") else int(data or "0")
            except ValueError:
                values[name] = data
        elif kind == "REG_BINARY":
            try:
                values[name] = bytes.fromhex(data)
            except ValueError:
                values[name] = b""
        else:
            values[name] = data
    return values


def connection_flags(blob: Any) -> dict[str, bool]:
    """DefaultConnectionSettings (REG_BINARY): byte 8 holds the flags the Internet Options dialog sets
    (0x02 proxy, 0x04 auto-config URL, 0x08 auto-detect)."""
    if not isinstance(blob, bytes | bytearray) or len(blob) < 9:
        return {}
    flags = blob[8]
    return {"proxy": bool(flags & 0x02), "auto_config_url": bool(flags & 0x04), "auto_detect": bool(flags & 0x08)}


def parse_windows_internet_settings(values: Mapping[str, Any]) -> SystemProxy:
    """HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings values (ProxyEnable, ProxyServer,
    ProxyOverride, AutoConfigURL, AutoDetect, and the Connections\\DefaultConnectionSettings blob) -> SystemProxy."""
    sp = SystemProxy(source="Windows Internet Options (registry)")
    try:
        enabled = int(values.get("ProxyEnable", 0) or 0) == 1
    except (TypeError, ValueError):
        enabled = False
    if enabled:
        servers = parse_proxy_server_list(str(values.get("ProxyServer", "") or ""))
        sp.http, sp.https, sp.socks = servers.get("http"), servers.get("https"), servers.get("socks")
    override = str(values.get("ProxyOverride", "") or "")
    sp.bypass = [h.strip() for h in override.split(";") if h.strip()]
    sp.pac_url = str(values.get("AutoConfigURL", "") or "").strip() or None
    flags = connection_flags(values.get("DefaultConnectionSettings"))
    auto = values.get("AutoDetect")
    if auto is not None:
        try:
            sp.auto_detect = int(auto) == 1
        except (TypeError, ValueError):
            sp.auto_detect = False
    elif flags:
        sp.auto_detect = flags["auto_detect"]
    if flags and sp.pac_url and not flags["auto_config_url"]:
        sp.pac_url = None  # the URL is remembered but its checkbox is off
    sp.mode = _mode(sp)
    return sp


def parse_winhttp_ie_config(auto_detect: bool, auto_config_url: str | None, proxy: str | None,
                            bypass: str | None) -> SystemProxy:
    """The four fields of WINHTTP_CURRENT_USER_IE_PROXY_CONFIG -> SystemProxy."""
    sp = SystemProxy(source="Windows proxy settings (WinHTTP API, current user)")
    servers = parse_proxy_server_list(proxy or "")
    sp.http, sp.https, sp.socks = servers.get("http"), servers.get("https"), servers.get("socks")
    sp.bypass = [h.strip() for h in re.split(r"[;\s]+", bypass or "") if h.strip()]
    sp.pac_url = (auto_config_url or "").strip() or None
    sp.auto_detect = bool(auto_detect)
    sp.mode = _mode(sp)
    return sp


def bypass_matches(host: str, bypass: list[str]) -> bool:
    """Windows/macOS/GNOME bypass lists: '<local>' (dotless names), '*.corp', 'host', '10.*', CIDRs."""
    host = (host or "").lower().strip("[]")
    if not host:
        return False
    for entry in bypass:
        e = entry.strip().lower()
        if not e:
            continue
        if e == "<local>":
            if "." not in host and ":" not in host:
                return True
            continue
        if "*" in e:
            pattern = "^" + re.escape(e).replace(r"\*", ".*") + "$"
            if re.match(pattern, host):
                return True
            continue
        if no_proxy_matches(host, e):
            return True
    return False


def static_proxy_for(sp: SystemProxy, url: str, use_socks: bool = True) -> str | None:
    """Which static proxy `sp` names for `url` (ignores PAC), honouring its bypass list.

    An http proxy never carries https: macOS with only "Web Proxy (HTTP)" on (HTTPEnable without HTTPSEnable),
    Windows with ProxyServer "http=host:port", and Python's urllib reading either, all send https:// direct.
    (A single "host:port" on Windows is for every protocol: parse_proxy_server_list fills https from it, and
    GNOME's own http-for-https fallback is applied when its settings are read.) A SOCKS proxy carries what has
    no proxy of its own, for the OS; `use_socks=False` for clients that ignore SOCKS settings (urllib on macOS)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if bypass_matches(parts.hostname or "", sp.bypass):
        return None
    socks = sp.socks if use_socks else None
    if parts.scheme == "https":
        return sp.https or socks
    return sp.http or socks


# --- PAC ----------------------------------------------------------------------------------------------------


def parse_pac_result(result: str) -> list[tuple[str, str]]:
    """'PROXY a:1; PROXY b:2; DIRECT' -> [("PROXY", "a:1"), ("PROXY", "b:2"), ("DIRECT", "")]. Unknown words
    are kept so the report shows them; empty parts are dropped."""
    out: list[tuple[str, str]] = []
    for part in (result or "").split(";"):
        words = part.strip().split()
        if not words:
            continue
        kind = words[0].upper()
        out.append((kind, words[1] if len(words) > 1 else ""))
    return out


_PAC_SCHEMES = {"PROXY": "http", "HTTP": "http", "HTTPS": "https", "SOCKS": "socks4", "SOCKS4": "socks4",
                "SOCKS5": "socks5"}


def pac_first_choice(result: str) -> tuple[str | None, bool]:
    """(proxy URL of the first usable choice or None for DIRECT, whether any choice was understood)."""
    for kind, target in parse_pac_result(result):
        if kind == "DIRECT":
            return None, True
        if kind in _PAC_SCHEMES and target:
            url = normalise_proxy(target, _PAC_SCHEMES[kind])
            if url:
                return url, True
    return None, False
