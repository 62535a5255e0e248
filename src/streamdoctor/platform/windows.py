"""Windows adapter: Internet Options from the registry (winreg), the WinHTTP view through its API (ctypes:
WinHttpGetIEProxyConfigForCurrentUser, WinHttpGetProxyForUrl), and ProgramData's managed Claude Code settings.

`netsh winhttp show proxy` is localised, so it is never parsed. WinHttpGetProxyForUrl may run WPAD discovery
and PAC scripts and can block; it runs in a daemon thread that the scan stops waiting for after its time limit.
Every function returns early on other OSes so the module imports (and type-checks) everywhere.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path
from typing import Any

from .base import RouteInfo, SystemProxy
from .common import npm_prefixes, unique_existing
from .parse_net import join_adapter_descriptions
from .parse_proxy import pac_first_choice, parse_windows_internet_settings, parse_winhttp_ie_config

INTERNET_SETTINGS = r"Software\Microsoft\Windows\CurrentVersion\Internet Settings"
VALUE_NAMES = ("ProxyEnable", "ProxyServer", "ProxyOverride", "AutoConfigURL", "AutoDetect")


def read_internet_settings() -> tuple[dict[str, Any], str | None]:
    """The Internet Settings values of the current user as {name: value}, or ({}, 'could not read: why')."""
    if sys.platform != "win32":
        return {}, "could not read: not Windows"
    import winreg

    values: dict[str, Any] = {}
    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, INTERNET_SETTINGS) as key:
            for name in VALUE_NAMES:
                try:
                    values[name] = winreg.QueryValueEx(key, name)[0]
                except FileNotFoundError:
                    continue
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, INTERNET_SETTINGS + r"\Connections") as key:
                values["DefaultConnectionSettings"] = winreg.QueryValueEx(key, "DefaultConnectionSettings")[0]
        except OSError:
            pass
    except OSError as exc:
        return values, f"could not read: {exc.strerror or exc}"
    return values, None


def _render_values(values: dict[str, Any]) -> str:
    lines = [f"HKEY_CURRENT_USER\\{INTERNET_SETTINGS}"]
    for name, value in values.items():
        shown = value.hex() if isinstance(value, bytes) else repr(value)
        lines.append(f"    {name} = {shown}")
    return "\n".join(lines)


def _take_wide_string(kernel32: Any, ptr: int | None) -> str | None:
    """Copy a WinHTTP-allocated wide string and free it (WinHTTP hands these over with GlobalAlloc). The
    struct fields are raw pointers (c_void_p), not LPWSTR, so the pointer itself stays available to free."""
    import ctypes

    if not ptr:
        return None
    try:
        return ctypes.wstring_at(ptr)
    finally:
        kernel32.GlobalFree(ptr)


def _kernel32() -> Any:
    if sys.platform != "win32":
        raise OSError("not Windows")
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    kernel32.GlobalFree.argtypes = [ctypes.c_void_p]
    kernel32.GlobalFree.restype = ctypes.c_void_p
    return kernel32


def winhttp_ie_config() -> tuple[SystemProxy | None, str | None]:
    """WinHttpGetIEProxyConfigForCurrentUser -> SystemProxy, or (None, 'could not read: why')."""
    if sys.platform != "win32":
        return None, "could not read: not Windows"
    import ctypes
    from ctypes import wintypes

    class IEProxyConfig(ctypes.Structure):
        _fields_ = [("fAutoDetect", wintypes.BOOL), ("lpszAutoConfigUrl", ctypes.c_void_p),
                    ("lpszProxy", ctypes.c_void_p), ("lpszProxyBypass", ctypes.c_void_p)]

    try:
        winhttp = ctypes.WinDLL("winhttp", use_last_error=True)
        kernel32 = _kernel32()
    except OSError as exc:
        return None, f"could not read: winhttp.dll could not be loaded ({exc})"
    winhttp.WinHttpGetIEProxyConfigForCurrentUser.argtypes = [ctypes.POINTER(IEProxyConfig)]
    winhttp.WinHttpGetIEProxyConfigForCurrentUser.restype = wintypes.BOOL
    cfg = IEProxyConfig()
    if not winhttp.WinHttpGetIEProxyConfigForCurrentUser(ctypes.byref(cfg)):
        return None, f"could not read: WinHttpGetIEProxyConfigForCurrentUser failed (error {ctypes.get_last_error()})"
    pac_url = _take_wide_string(kernel32, cfg.lpszAutoConfigUrl)
    proxy = _take_wide_string(kernel32, cfg.lpszProxy)
    bypass = _take_wide_string(kernel32, cfg.lpszProxyBypass)
    sp = parse_winhttp_ie_config(bool(cfg.fAutoDetect), pac_url, proxy, bypass)
    sp.raw = {"WinHttpGetIEProxyConfigForCurrentUser": (
        f"fAutoDetect={bool(cfg.fAutoDetect)} lpszAutoConfigUrl={pac_url!r} lpszProxy={proxy!r} "
        f"lpszProxyBypass={bypass!r}")}
    return sp, None


def winhttp_proxy_for_url(url: str, pac_url: str | None, auto_detect: bool) -> tuple[str | None, str]:
    """Ask WinHTTP (WPAD and/or the PAC URL) which proxy `url` takes. Returns (proxy URL or None, raw text).
    Blocking: call it from a thread with a time limit."""
    if sys.platform != "win32":
        return None, "could not read: not Windows"
    import ctypes
    from ctypes import wintypes

    class AutoProxyOptions(ctypes.Structure):
        _fields_ = [("dwFlags", wintypes.DWORD), ("dwAutoDetectFlags", wintypes.DWORD),
                    ("lpszAutoConfigUrl", wintypes.LPCWSTR), ("lpvReserved", ctypes.c_void_p),
                    ("dwReserved", wintypes.DWORD), ("fAutoLogonIfChallenged", wintypes.BOOL)]

    class ProxyInfo(ctypes.Structure):
        _fields_ = [("dwAccessType", wintypes.DWORD), ("lpszProxy", ctypes.c_void_p),
                    ("lpszProxyBypass", ctypes.c_void_p)]

    winhttp = ctypes.WinDLL("winhttp", use_last_error=True)
    kernel32 = _kernel32()
    winhttp.WinHttpOpen.restype = ctypes.c_void_p
    winhttp.WinHttpOpen.argtypes = [wintypes.LPCWSTR, wintypes.DWORD, wintypes.LPCWSTR, wintypes.LPCWSTR,
                                    wintypes.DWORD]
    winhttp.WinHttpGetProxyForUrl.argtypes = [ctypes.c_void_p, wintypes.LPCWSTR, ctypes.c_void_p, ctypes.c_void_p]
    winhttp.WinHttpCloseHandle.argtypes = [ctypes.c_void_p]
    session = winhttp.WinHttpOpen("StreamDoctor", 1, None, None, 0)  # WINHTTP_ACCESS_TYPE_NO_PROXY
    if not session:
        return None, f"could not read: WinHttpOpen failed (error {ctypes.get_last_error()})"
    try:
        opts = AutoProxyOptions()
        if pac_url:
            opts.dwFlags |= 0x2  # WINHTTP_AUTOPROXY_CONFIG_URL
            opts.lpszAutoConfigUrl = pac_url
        if auto_detect:
            opts.dwFlags |= 0x1  # WINHTTP_AUTOPROXY_AUTO_DETECT
            opts.dwAutoDetectFlags = 0x1 | 0x2  # DHCP | DNS_A
        opts.fAutoLogonIfChallenged = True
        info = ProxyInfo()
        if not winhttp.WinHttpGetProxyForUrl(session, url, ctypes.byref(opts), ctypes.byref(info)):
            return None, f"could not read: WinHttpGetProxyForUrl failed (error {ctypes.get_last_error()})"
        servers = _take_wide_string(kernel32, info.lpszProxy)
        bypass = _take_wide_string(kernel32, info.lpszProxyBypass)
        raw = f"dwAccessType={info.dwAccessType} lpszProxy={servers!r} lpszProxyBypass={bypass!r}"
        proxy = None
        if info.dwAccessType == 3 and servers and servers.replace(";", " ").split():  # NAMED_PROXY
            proxy, _ = pac_first_choice(f"PROXY {servers.replace(';', ' ').split()[0]}")
        return proxy, raw
    finally:
        winhttp.WinHttpCloseHandle(session)


class WindowsProxyReader:
    def __init__(self) -> None:
        self._ie: SystemProxy | None = None

    def read_system_proxies(self) -> list[SystemProxy]:
        values, error = read_internet_settings()
        reg = parse_windows_internet_settings(values)
        reg.raw = {"registry Internet Settings": _render_values(values)}
        if error:
            reg.mode, reg.error = "unknown", error
        found = [reg]
        ie, ie_error = winhttp_ie_config()
        if ie is not None:
            found.append(ie)
            self._ie = ie
        elif ie_error:
            found.append(SystemProxy("Windows proxy settings (WinHTTP API, current user)", mode="unknown",
                                     error=ie_error))
        return found

    def proxy_for_url(self, url: str, timeout_s: float) -> tuple[str | None, str] | None:
        """WinHTTP's answer when the user's settings use PAC or WPAD; None when they do not."""
        ie = self._ie
        if ie is None or not (ie.pac_url or ie.auto_detect):
            return None
        box: dict[str, tuple[str | None, str]] = {}

        def ask() -> None:
            try:
                box["answer"] = winhttp_proxy_for_url(url, ie.pac_url, ie.auto_detect)
            except Exception as exc:  # a ctypes failure must not take the scan down
                box["answer"] = (None, f"could not read: {type(exc).__name__}: {exc}")

        worker = threading.Thread(target=ask, name="winhttp-proxy-for-url", daemon=True)
        worker.start()
        worker.join(timeout_s)
        if "answer" not in box:
            return None, f"could not read: WinHTTP did not answer within {timeout_s:g} s"
        proxy, raw = box["answer"]
        return proxy, f"WinHttpGetProxyForUrl: {raw}"


NET_CLASS = r"SYSTEM\CurrentControlSet\Control\Class\{4d36e972-e325-11ce-bfc1-08002be10318}"
NET_CONNECTIONS = r"SYSTEM\CurrentControlSet\Control\Network\{4D36E972-E325-11CE-BFC1-08002BE10318}"


class WindowsAdapters:
    """Driver descriptions ("PANGP Virtual Ethernet Adapter") for connection names ("Ethernet 3"): psutil only
    knows the latter, the VPN table knows the former. Read from the registry, bounded to 256 adapters."""

    def descriptions(self) -> dict[str, str]:
        if sys.platform != "win32":
            return {}
        import winreg

        drivers: dict[str, str] = {}
        names: dict[str, str] = {}
        try:
            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, NET_CLASS) as cls:
                for i in range(256):
                    try:
                        sub = winreg.EnumKey(cls, i)
                    except OSError:
                        break
                    try:
                        with winreg.OpenKey(cls, sub) as key:
                            guid = winreg.QueryValueEx(key, "NetCfgInstanceId")[0]
                            drivers[str(guid)] = str(winreg.QueryValueEx(key, "DriverDesc")[0])
                    except OSError:
                        continue  # "Properties" and adapters without an instance id
            with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, NET_CONNECTIONS) as conns:
                for i in range(256):
                    try:
                        guid = winreg.EnumKey(conns, i)
                    except OSError:
                        break
                    try:
                        with winreg.OpenKey(conns, guid + r"\Connection") as key:
                            names[guid] = str(winreg.QueryValueEx(key, "Name")[0])
                    except OSError:
                        continue
        except OSError:
            return {}
        return join_adapter_descriptions(drivers, names)


class WindowsRouteReader:
    def route_to(self, address: str, timeout_s: float) -> tuple[RouteInfo | None, str]:
        return None, "not read on Windows (the interface comes from the UDP-connect method)"


class WindowsLocations:
    def managed_settings_paths(self) -> list[Path]:
        program_data = os.environ.get("ProgramData") or r"C:\ProgramData"
        return [Path(program_data) / "ClaudeCode" / "managed-settings.json"]

    def npm_global_roots(self) -> list[Path]:
        roots = [p / "node_modules" for p in npm_prefixes(Path.home())]
        appdata = os.environ.get("APPDATA")
        if appdata:
            roots.append(Path(appdata) / "npm" / "node_modules")
        return unique_existing(roots)


class WindowsPlatform:
    name = "windows"

    def __init__(self) -> None:
        self.proxy = WindowsProxyReader()
        self.routes = WindowsRouteReader()
        self.locations = WindowsLocations()
        self.adapters = WindowsAdapters()
