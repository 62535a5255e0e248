"""Recorded-shape reports for the fix tests (the data keys COMMON.md fixes for each probe)."""

from __future__ import annotations

from typing import Any

from streamdoctor.model import Confidence, Finding, Overall, ProbeResult, Report, Severity, Status, Verdict


def make_root_pem() -> str:
    """A real self-signed CA certificate (the inspector's root), made fresh."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "NetLab Inspect Root CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def report(results: dict[str, dict[str, Any]], causes: dict[str, list[str]] | None = None,
           base_url: str = "https://api.anthropic.com") -> Report:
    probe_results = [ProbeResult(name, Status.OK, "recorded", data) for name, data in results.items()]
    findings = [Finding(f"test.{cause}", cause, Severity.PROBLEM, Confidence.HIGH, cause, cause, fix_ids=ids)
                for cause, ids in (causes or {}).items()]
    return Report({"base_url": base_url}, probe_results, Verdict(Overall.PROBLEM if findings else Overall.HEALTHY,
                                                                  "recorded", findings))


def proxy_report(proxy: str = "http://proxy.corp.example:8080") -> Report:
    return report({"env.proxy": {"system": {"proxy": proxy, "source": "pac", "pac_url": "http://wpad/wpad.dat"},
                                 "clients": {"claude-code": {"proxy": None, "source": "env"},
                                             "python-sdk": {"proxy": None, "source": "env"},
                                             "node-sdk": {"proxy": None, "source": "env"}}}},
                  {"proxy-unused": ["claude-code-proxy", "env-proxy"]})
