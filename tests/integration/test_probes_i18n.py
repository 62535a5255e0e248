"""The probes speak the user's language: every text they make goes through the catalogs, and can be said again in
English for IT.

The probes run for real against the lab on loopback (TLS, a streamed answer, a firewall that resets silent
connections), once in the pseudo-language, where a text that bypassed the catalogs comes out without its ⟦ ⟧
brackets, and once in German and Japanese, where the catalogs' words and the language's numbers must show.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest

from streamdoctor import i18n
from streamdoctor.cancel import CancelToken
from streamdoctor.i18n import _
from streamdoctor.lab import LAB_API_KEY, LabRuntime, get_profile
from streamdoctor.lab.faultproxy import Fault, FaultSpec
from streamdoctor.lab.profiles import LabProfile
from streamdoctor.lab.server import ServerBehaviour
from streamdoctor.lab.tls import LabTLS
from streamdoctor.model import Evidence, ProbeResult, Status
from streamdoctor.probes import ProbeContext, Progress, all_probes
from streamdoctor.probes.clienthello import ClientHelloProbe
from streamdoctor.probes.dns import DNSProbe
from streamdoctor.probes.env_interfaces import EnvInterfacesProbe
from streamdoctor.probes.env_proxy import EnvProxyProbe
from streamdoctor.probes.http import HTTPProbe
from streamdoctor.probes.idle import IdleProbe
from streamdoctor.probes.matrix import AddressFamilyProbe, ClientsProbe, EdgeProbe, RequestSizeProbe
from streamdoctor.probes.mtu import MTUProbe
from streamdoctor.probes.stream import StreamProbe
from streamdoctor.probes.stress_plan import plan_for
from streamdoctor.probes.tcp import TCPProbe
from streamdoctor.probes.tls import TLSProbe
from streamdoctor.runner import run_probes

FAST = {"http_timeout_s": 3.0, "large_request_timeout_s": 3.0, "clienthello_timeout_s": 2.0, "dns_timeout_s": 2.0,
        "edge_timeout_s": 2.0, "sdk_retry_check": False}
IDLE_FAST = {"idle_min_s": 1.0, "idle_max_s": 6.0}
OPEN, CLOSE = "⟦", "⟧"
# Labels that are protocol lines or product names: left as they are in every language (DESIGN: not translated)
UNTRANSLATED_LABELS = {"HTTP/1.1 GET /v1/models", "HTTP/2 GET /v1/models", "Claude Code", "Node"}
FAMILY_LABEL = re.compile(r"^IPv[46] \(.*\)$")  # "IPv4 (127.0.0.1)": a protocol and an address


@pytest.fixture(autouse=True)
def _english_after() -> Iterator[None]:
    yield
    i18n.set_language("en")


@pytest.fixture(autouse=True)
def _no_outside_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
                "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(var, raising=False)


def lab_run(lang: str) -> tuple[dict[str, ProbeResult], list[Progress]]:
    """The probes that need no consent against a clean TLS lab, in `lang` (chosen for this run only)."""
    seen: list[Progress] = []
    lock = threading.Lock()

    def progress(p: Progress) -> None:
        with lock:
            seen.append(p)

    probes = [EnvInterfacesProbe(), EnvProxyProbe(), DNSProbe(), TCPProbe(), TLSProbe(), ClientHelloProbe(),
              HTTPProbe(), MTUProbe(), EdgeProbe(), StreamProbe(), ClientsProbe(), AddressFamilyProbe(),
              RequestSizeProbe()]
    with LabTLS() as tls, LabRuntime(get_profile("clean"), ssl_context=tls.server_context(),
                                     url_host="localhost") as lab:
        ctx = ProbeContext(base_url=lab.url, api_key=LAB_API_KEY, ca_file=tls.ca_file, lab_profile="clean",
                           connect_timeout_s=2.0, max_tokens=64, options=dict(FAST))
        with i18n.using(lang):
            results = run_probes(probes, ctx, progress=progress)
    return {r.probe: r for r in results}, seen


def idle_cut(lang: str) -> ProbeResult:
    """The idle test against a firewall that resets connections silent for 2 s."""
    profile = LabProfile("idle-reset-2", "", ServerBehaviour(), FaultSpec(Fault.IDLE_RESET, idle_s=2.0))
    with LabRuntime(profile) as lab, i18n.using(lang):
        ctx = ProbeContext(base_url=lab.url, options=dict(IDLE_FAST))
        return IdleProbe().run(ctx, lambda p: None, CancelToken())


def bracketed(text: str) -> bool:
    return text.startswith(OPEN) and text.endswith(CLOSE)


def test_every_probe_text_goes_through_the_catalogs():
    results, seen = lab_run(i18n.PSEUDO)
    idle = idle_cut(i18n.PSEUDO)
    assert results["stream"].status is Status.OK, results["stream"].summary  # a whole answer, not an error text
    assert results["tls"].status is Status.OK, results["tls"].summary
    for r in [*results.values(), idle]:
        assert bracketed(r.summary), f"{r.probe}: summary not from the catalogs: {r.summary!r}"
        for e in r.evidence:
            assert bracketed(e.label) or e.label in UNTRANSLATED_LABELS or FAMILY_LABEL.match(e.label), \
                f"{r.probe}: evidence label not from the catalogs: {e.label!r}"
            with i18n.using(i18n.PSEUDO):
                assert bracketed(e.text()), e.text()
    details = [p.detail for p in seen if p.detail]
    assert any(p.probe == "stream" for p in seen) and details
    for p in seen:
        if p.detail:
            assert bracketed(p.detail), f"{p.probe}: progress line not from the catalogs: {p.detail!r}"
    # The titles are marked where they are made (N_) and translated where the checklist shows them.
    with i18n.using(i18n.PSEUDO):
        for probe in all_probes():
            assert bracketed(_(probe.title)), probe.title
            assert _(probe.title) != probe.title


def test_german_and_japanese_read_their_own_words_and_numbers():
    de = idle_cut("de")
    assert de.status is Status.FAIL and de.data["ending"] == "reset"
    cut = de.data["cut_s"]
    assert de.summary.startswith("Stille Verbindungen werden nach "), de.summary
    assert f"{cut:.1f}".replace(".", ",") in de.summary  # 2,0 s: the German decimal comma
    labels = [e.label for e in de.evidence]
    assert "Stille, nach der Verbindungen abbrechen" in labels
    dies = next(e for e in de.evidence if e.label == "Stille, nach der Verbindungen abbrechen")
    with i18n.using("de"):  # Evidence.text() speaks the language current where it is shown
        assert dies.text() == "Stille, nach der Verbindungen abbrechen: " + f"{cut:.2f}".replace(".", ",") + " s"

    ja = idle_cut("ja")
    assert "秒後にリセットされます" in ja.summary, ja.summary
    assert f"{ja.data['cut_s']:.1f} 秒" in ja.summary  # Japanese keeps the decimal point

    results, _seen = lab_run("de")
    assert results["stream"].summary.startswith("Abgeschlossen: "), results["stream"].summary
    tls = results["tls"]
    assert any(e.label == "Ausgestellt von" for e in tls.evidence)
    assert any(e.value == "ja" for e in tls.evidence if e.label == "Vertrauenswürdig laut angegebener CA-Datei")
    dns_time = next(e for e in results["dns"].evidence if e.label == "Dauer der Namensauflösung")
    with i18n.using("de"):
        assert "," in dns_time.text() and "." not in dns_time.text().split(": ", 1)[1], dns_time.text()


def test_relocalized_results_read_exactly_as_an_english_run():
    de = idle_cut("de")
    en = i18n.relocalize(de, "en")
    assert en.summary.startswith("Silent connections are reset after "), en.summary
    expected = _("Silent connections are reset after {secs:.1f} s (±{margin:.1f} s)", secs=de.data["cut_s"],
                 margin=de.data["uncertainty_s"])
    assert en.summary == expected
    assert [e.label for e in en.evidence][:2] == ["Silence after which connections die", "How they end"]
    assert en.evidence[0].text() == f"Silence after which connections die: {de.data['cut_s']:.2f} s"
    # The data the rules read is untouched by the language.
    assert en.data == de.data

    results, _seen = lab_run("ja")
    back = {name: i18n.relocalize(r, "en") for name, r in results.items()}
    for r in back.values():
        assert r.summary.isascii() or r.probe.startswith("env."), (r.probe, r.summary)
    assert back["stream"].summary.startswith("Completed: ")
    assert any(e.label == "Issued by" for e in back["tls"].evidence)
    assert any(e.value == "yes" for e in back["tls"].evidence if e.label == "Trusted by the given CA file")


def test_evidence_text_joins_label_and_value_the_language_way():
    ev = Evidence(_("Lookup time"), 0.4, "s")
    with i18n.using("de"):
        assert Evidence(_("Lookup time"), 0.4, "s").text() == "Dauer der Namensauflösung: 0,40 s"
        assert Evidence(_("Path MTU"), 1400, _("bytes")).text() == "Pfad-MTU: 1400 Byte"
    with i18n.using("fr"):
        # French puts a space before the colon, and writes 12,5
        assert Evidence(_("Duration"), 12.5, "s").text() == "Durée : 12,5 s"
    with i18n.using("zh_CN"):
        assert Evidence(_("Lookup time"), 0.4, "s").text() == "解析耗时：0.40 s"
    assert ev.text() == "Lookup time: 0.40 s"
    assert i18n.relocalize(Evidence(_("Gateway"), "10.0.0.1"), "en").text() == "Gateway: 10.0.0.1"


def test_the_stress_plan_and_its_refusal_are_translated():
    with i18n.using("de"):
        line = plan_for("claude-sonnet-5-5", "quick").line()
        assert line.startswith("Belastungstest 'quick': bis zu 1024 Ausgabe-Token"), line
        with pytest.raises(Exception, match="unbekannte Größe des Belastungstests 'huge'"):
            plan_for("claude-sonnet-5-5", "huge")
    assert i18n.relocalize(line, "en").startswith("Stress test 'quick': up to 1024 output tokens")
