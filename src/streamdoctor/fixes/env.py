"""env-proxy and env-ca: the variables the SDKs and command-line tools read, set for the user's future sessions.

env-proxy (failure mode 6): the system or PAC proxy the check found, as HTTPS_PROXY/HTTP_PROXY/NO_PROXY, for
clients that read only environment variables (the Python and TypeScript SDKs, curl).
env-ca (failure mode 5): the TLS-inspection root the check captured, as SSL_CERT_FILE (a full bundle: the
public roots plus the company root, because SSL_CERT_FILE replaces the default list) and NODE_EXTRA_CA_CERTS
(just the company root, which Node adds to its own list).
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import paths
from ..i18n import N_, _, ngettext
from ..model import FixPlan, Report
from . import journal
from .base import Fix, Shown, VerifyOutcome, probe_data
from .claude_code import no_proxy_value
from .pem import combined_pem, pem_is_certificate
from .session_env import SessionEnvironment, check_values, for_this_os


class SessionEnvFix(Fix):
    def __init__(self, backend: SessionEnvironment | None = None) -> None:
        self._backend = backend

    @property
    def backend(self) -> SessionEnvironment:
        return self._backend or for_this_os()

    def values(self, report: Report) -> dict[str, str]:
        raise NotImplementedError

    def files(self, report: Report) -> dict[Path, bytes]:
        return {}

    def preview(self, report: Report) -> FixPlan:
        self.require(report)
        values = self.values(report)
        check_values(values)
        lines: list[str] = [ngettext("writes {path} ({n} certificate)", "writes {path} ({n} certificates)",
                          data.count(b"BEGIN CERTIFICATE"), path=str(p)) for p, data in self.files(report).items()]
        lines.append(self.backend.describe(self.id, values))  # one line per file written, then the backend's
        return self.plan(_("{description} Programs started after the next login see it; undo removes it.",
                           description=self.describe(report)), "\n".join(lines))

    def describe(self, report: Report) -> str:
        return self.title

    def apply(self, report: Report) -> str:
        self.require(report)
        values = self.values(report)
        check_values(values)
        with journal.Transaction(self.id, self.journal_title(), {"values": values, "backend": self.backend.name}) as tx:
            for path, data in self.files(report).items():
                tx.write_file(path, data, mode=0o644)
            self.backend.apply(tx, self.id, values)
        return tx.record.id

    def verify(self, report: Report, record_id: str) -> VerifyOutcome:
        values = journal.load(record_id).info["values"]
        seen = self.backend.read(self.id, list(values))
        wrong = [k for k, v in values.items() if seen.get(k) != v]
        if wrong:
            return VerifyOutcome(False, _("{names} did not stick in {place}", names=", ".join(wrong),
                                          place=self.backend.name))
        return VerifyOutcome(True, _("{names} set in {place}; log out and in (or open a new terminal) for programs "
                                     "to see them, then run the check again", names=", ".join(values),
                                     place=self.backend.name))


class EnvProxyFix(SessionEnvFix):
    id = "env-proxy"
    title = Shown(N_("Tell command-line tools and SDKs about the company proxy"))
    probes = ("env.proxy",)

    def _proxy(self, report: Report) -> str | None:
        data = probe_data(report, "env.proxy")
        proxy = (data.get("system") or {}).get("proxy")
        clients = data.get("clients") or {}
        unused = any(not (clients.get(c) or {}).get("proxy") for c in ("python-sdk", "node-sdk")) or not clients
        return str(proxy) if proxy and unused else None

    def applies(self, report: Report) -> bool:
        return self._proxy(report) is not None

    def values(self, report: Report) -> dict[str, str]:
        proxy = self._proxy(report) or ""
        return {"HTTPS_PROXY": proxy, "HTTP_PROXY": proxy,
                "NO_PROXY": no_proxy_value(os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or "")}

    def describe(self, report: Report) -> str:
        return _("This computer's proxy settings send the API through {proxy}, but the SDKs and command-line tools "
                 "read only HTTPS_PROXY/NO_PROXY. Sets them for your user.", proxy=self._proxy(report))


class EnvCAFix(SessionEnvFix):
    id = "env-ca"
    title = Shown(N_("Let command-line tools and SDKs trust the company's inspection certificate"))
    probes = ("tls",)

    def applies(self, report: Report) -> bool:
        tls = probe_data(report, "tls")
        return bool(tls.get("inspected") and pem_is_certificate(tls.get("root_pem") or ""))

    def _paths(self) -> tuple[Path, Path]:
        folder = paths.data_dir() / "ca"
        return folder / "streamdoctor-ca-bundle.pem", folder / "streamdoctor-extra-ca.pem"

    def values(self, report: Report) -> dict[str, str]:
        bundle, extra = self._paths()
        return {"SSL_CERT_FILE": str(bundle), "NODE_EXTRA_CA_CERTS": str(extra)}

    def files(self, report: Report) -> dict[Path, bytes]:
        import certifi

        root = str(probe_data(report, "tls").get("root_pem") or "")
        bundle, extra = self._paths()
        current = os.environ.get("SSL_CERT_FILE")
        keep_current = current and Path(current) != bundle and Path(current).is_file()
        base = Path(current) if keep_current and current else Path(certifi.where())
        node_now = os.environ.get("NODE_EXTRA_CA_CERTS")
        keep = Path(node_now) if node_now and Path(node_now) != extra else None
        return {bundle: combined_pem(root, base_bundle=base), extra: combined_pem(root, keep)}

    def describe(self, report: Report) -> str:
        who = probe_data(report, "tls").get("inspector")
        if not who:
            return _("A TLS-inspecting product re-signs the API's certificate with the company's root. Saves a "
                     "certificate bundle that includes it and points SSL_CERT_FILE and NODE_EXTRA_CA_CERTS at it.")
        # TRANSLATORS: {who} is a product name (Zscaler, Netskope, ...)
        return _("{who} re-signs the API's certificate with the company's root. Saves a certificate bundle that "
                 "includes it and points SSL_CERT_FILE and NODE_EXTRA_CA_CERTS at it.", who=who)
