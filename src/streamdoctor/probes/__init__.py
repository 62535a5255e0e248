"""All probes, in checklist order. Add a probe by appending an instance here; nothing else needs to know."""

from __future__ import annotations

from .base import Probe, ProbeContext, Progress, ProgressCallback, no_progress
from .clienthello import ClientHelloProbe
from .dns import DNSProbe
from .env_clients import EnvClientsProbe
from .env_interfaces import EnvInterfacesProbe
from .env_proxy import EnvProxyProbe
from .env_vpn import EnvVpnProbe
from .http import HTTPProbe
from .idle import IdleProbe
from .matrix import AddressFamilyProbe, ClientsProbe, EdgeProbe, RequestSizeProbe
from .mtu import MTUProbe
from .path import WhoCutProbe
from .stream import StreamProbe
from .tcp import TCPProbe
from .tls import TLSProbe


def all_probes() -> list[Probe]:
    """Fresh probe instances (probes may keep per-run state)."""
    return [EnvInterfacesProbe(), EnvVpnProbe(), EnvProxyProbe(), EnvClientsProbe(),
            DNSProbe(), TCPProbe(), TLSProbe(), ClientHelloProbe(), HTTPProbe(), MTUProbe(),
            AddressFamilyProbe(), RequestSizeProbe(), EdgeProbe(), StreamProbe(), ClientsProbe(), IdleProbe(),
            WhoCutProbe()]


def select(quick: bool) -> list[Probe]:
    return [p for p in all_probes() if p.quick or not quick]


__all__ = ["Probe", "ProbeContext", "Progress", "ProgressCallback", "all_probes", "no_progress", "select"]
