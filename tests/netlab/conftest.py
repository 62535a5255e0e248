"""Fixtures of the network lab: factories that build a named scenario and always tear it down.

See tests/netlab/netlab.py for what each scenario is and the Scenario API. Test modules here set
`pytestmark = pytest.mark.netlab`; without root or a tool the factories skip with the reason (and
tests/conftest.py turns that skip into a failure in CI).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `import netlab` from the tests of this folder

import netlab  # noqa: E402

_session_started = False
_timing_lines: list[str] = []  # "scenario: setup X s, teardown Y s", for the terminal summary


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print what the lab measured (RST time vs N, MTU, burst shares, squid timings, setup/teardown times)."""
    if netlab.MEASUREMENTS or _timing_lines:
        terminalreporter.section("netlab measurements")
        for line in netlab.MEASUREMENTS + _timing_lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def netlab_session() -> Iterator[None]:
    """Sweep namespaces of dead runs once, register this run, and tear down whatever is left at the end."""
    global _session_started
    netlab.require_netlab()
    if not _session_started:
        netlab.start_session()
        _session_started = True
    try:
        yield
    finally:
        netlab.teardown_all()
        left = [n for n in netlab.list_namespaces() if n.startswith(netlab.RUN_ID)]
        assert not left, f"netlab namespaces left after the session: {left}"



def _factory(build: Callable[..., netlab.Scenario]) -> Callable[[Any], Iterator[Callable[..., Any]]]:
    """A function-scoped fixture returning `build`; every scenario it built is closed when the test ends."""

    def fixture(netlab_session: None) -> Iterator[Callable[..., Any]]:
        made: list[netlab.Scenario] = []

        def make(*args: Any, **kwargs: Any) -> netlab.Scenario:
            sc = build(*args, **kwargs)
            made.append(sc)
            return sc

        try:
            yield make
        finally:
            errors = []
            for sc in reversed(made):
                try:
                    sc.close()
                except Exception as exc:
                    errors.append(str(exc))
                _timing_lines.append(f"{sc.name}: setup {sc.timings.get('setup_s')} s, "
                                     f"teardown {sc.timings.get('teardown_s')} s")
            if errors:
                raise netlab.NetlabError("; ".join(errors))

    fixture.__doc__ = build.__doc__
    return fixture


netlab_basic = pytest.fixture(_factory(netlab.build_basic), name="netlab_basic")
netlab_firewall = pytest.fixture(_factory(netlab.build_firewall), name="netlab_firewall")
netlab_mtu = pytest.fixture(_factory(netlab.build_mtu), name="netlab_mtu")
netlab_nginx = pytest.fixture(_factory(netlab.build_nginx), name="netlab_nginx")
netlab_squid = pytest.fixture(_factory(netlab.build_squid), name="netlab_squid")
netlab_dns_failure = pytest.fixture(_factory(netlab.build_dns_failure), name="netlab_dns_failure")
netlab_captive_portal = pytest.fixture(_factory(netlab.build_captive_portal), name="netlab_captive_portal")
netlab_tls_api = pytest.fixture(_factory(netlab.build_tls_api), name="netlab_tls_api")
netlab_dual_stack = pytest.fixture(_factory(netlab.build_dual_stack), name="netlab_dual_stack")
netlab_upload_cut = pytest.fixture(_factory(netlab.build_upload_cut), name="netlab_upload_cut")
netlab_mtu_tls = pytest.fixture(_factory(netlab.build_mtu_tls), name="netlab_mtu_tls")
netlab_whocut = pytest.fixture(_factory(netlab.build_whocut), name="netlab_whocut")
