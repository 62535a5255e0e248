"""The CLI, the bundle for IT and the watch speak the user's language, and IT can have the bundle in English.

A report is built by hand with every kind of data the bundle renders (the idle ladder, a cut stream, TLS inspection,
a path-MTU gap, a VPN, a proxy), its own texts made with `_()` the way the rules make theirs. Rendered in the
pseudo-language, every text a user reads must carry its brackets (an unmarked string comes out plain); in German
and Japanese the translations and the numbers and dates of that language appear; re-said in English for IT, no
German is left.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest

from streamdoctor import i18n
from streamdoctor.bundle import summary_text, write_bundle
from streamdoctor.bundle.charts import all_charts
from streamdoctor.bundle.html import render_html
from streamdoctor.bundle.summary import BundleInfo, render_summary
from streamdoctor.cli import build_parser, language_option, main, print_report, split_language
from streamdoctor.errors import UserError
from streamdoctor.i18n import _
from streamdoctor.model import (
    Confidence,
    Evidence,
    Finding,
    Overall,
    ProbeResult,
    Report,
    Severity,
    Status,
    Verdict,
    report_from,
    to_jsonable,
)
from streamdoctor.watch import analysis
from streamdoctor.watch.svg import render
from streamdoctor.watch.timeline import build

OPEN, CLOSE = "⟦", "⟧"
CUT_S = 30.25  # 30,2 in German (".1f"), 30.2 in Japanese
CREATED = 1_764_558_000.0  # 2025-12-01 03:00 UTC


def make_report() -> Report:
    """A report in the current language: texts through `_()`, numbers and names as the probes record them.

    The texts reuse msgids of this area's catalog, so they have real translations in every language."""
    idle = ProbeResult("idle", Status.FAIL, _("Raise the idle timeout for {host}:{port}", host="api.example",
                                              port="443"),
                       data={"cut_s": CUT_S, "ending": "reset", "longest_alive_s": 20.0, "bracket": [20.0, 40.0],
                             "connections": [{"id": 1, "hold_s": 20.0, "idle_s": 20.0, "state": "alive"},
                                             {"id": 2, "hold_s": 40.0, "idle_s": CUT_S, "state": "reset"}]},
                       evidence=[Evidence(_("Idle time after which connections are cut"), CUT_S, "s")],
                       duration_s=61.5)
    stream = ProbeResult("stream", Status.FAIL, _("How the test answer ended"),
                         data={"samples": [[0.4, 300, "content_block_delta"], [0.9, 20, "ping"],
                                           [1.5, 600, "content_block_delta"], [2.0, 40, "message_delta"]],
                               "total_s": 35.4, "outcome": "reset", "silence_before_end_s": 33.4,
                               "time_to_first_byte_s": 0.4, "bytes": 1200}, duration_s=35.4)
    tls = ProbeResult("tls", Status.WARN, _("TLS inspection"),
                      data={"inspected": True, "inspector": "Zscaler", "issuer": "Zscaler Root CA"})
    mtu = ProbeResult("mtu", Status.WARN, _("Path MTU / interface MTU"),
                      data={"path_mtu": 1400, "interface_mtu": 1500, "interface": "eth0", "black_hole": True})
    vpn = ProbeResult("env.vpn", Status.OK, _("VPN and security software"),
                      data={"agents": [{"name": "GlobalProtect", "kind": "vpn"}], "tunnel_interface": "gpd0",
                            "api_via_tunnel": True})
    finding = Finding("test.rule", "idle-reset", Severity.PROBLEM, Confidence.HIGH,
                      _("Raise the idle timeout for {host}:{port}", host="api.example", port="443"),
                      _("old and new connections both worked"),
                      evidence=[Evidence(_("Longest silence a connection survived"), 20.0, "s")],
                      fix_ids=["keepalive"], ask_it=_("the network itself stayed broken: new connections failed too"))
    verdict = Verdict(Overall.UNTESTED, _("Could not test"), [finding])
    return Report(target={"base_url": "https://api.example"}, results=[idle, stream, tls, mtu, vpn],
                  verdict=verdict, app_version="9.9", created_at=CREATED)


# --- (a) every text a user reads is marked: the pseudo-language shows what is not -------------------------


# Texts that are data, not words to translate: names and ids the report carries, machine words kept for IT
DATA = re.compile(r"^[\s\d.,:;/()×≈%+-]*$|^(?:idle|stream|tls|mtu|env\.vpn|test\.rule|idle-reset|keepalive|problem|"
                  r"warning|info|fail|warn|ok|error|skipped|reset|completed|api\.example|https://api\.example|"
                  r"report\.html|summary\.txt|report\.json|report\.schema\.json|requests\.har|manifest\.json|"
                  r"charts/[a-z-]+\.svg|Stream Doctor|✕|[\d.]+ / [\d.]+ \(eth0\)|GlobalProtect \(vpn\)|"
                  r"[\d.,]+ (?:s|ms|KB|MB|B|h))$")


class _Texts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.skip = 0
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.skip += tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag == "style"

    def handle_data(self, data: str) -> None:
        if not self.skip and data.strip():
            self.found.append(data.strip())


def unmarked(texts: list[str]) -> list[str]:
    return [t for t in texts if OPEN not in t and not DATA.match(t)]


def test_pseudo_summary_has_no_unmarked_line() -> None:
    with i18n.using(i18n.PSEUDO):
        report = make_report()
        text = render_summary(report, BundleInfo({"api-key": 2}, fixes=[]))
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) > 15
    assert unmarked(lines) == []


def test_pseudo_report_html_and_charts_have_no_unmarked_text() -> None:
    with i18n.using(i18n.PSEUDO):
        report = make_report()
        charts = all_charts(report)
        page = render_html(report, BundleInfo({"api-key": 2, "email": 1}, pseudonymize_hosts=True, fixes=[],
                                              files=["report.html", "summary.txt"]), charts)
    assert {"idle-ladder", "stream-timeline", "bytes-over-time"} <= set(charts)
    parser = _Texts()
    parser.feed(page)
    assert len(parser.found) > 60
    assert unmarked(parser.found) == [], unmarked(parser.found)


def test_pseudo_cli_report_marks_its_own_lines() -> None:
    out = io.StringIO()
    with i18n.using(i18n.PSEUDO):
        print_report(make_report(), out)
    text = out.getvalue()
    mine = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("  [")]  # probe rows: the probes'
    assert any("Ask IT".translate(str.maketrans("AsI", "ÅšÎ")) in ln for ln in mine)
    assert unmarked(mine) == []


def test_pseudo_watch_summary_lines_are_marked() -> None:
    home = {"vpn_adapters": [], "agents": [], "wifi": "Home", "families": ["ipv4"]}
    vpn = {"vpn_adapters": ["GlobalProtect"], "agents": ["GlobalProtect"], "wifi": "Office", "families": ["ipv4"]}
    ev = [{"id": 1, "t": 0, "kind": "start", "state_id": 1, "ending": None},
          {"id": 2, "t": 3600, "kind": "change", "state_id": 2, "ending": None}]
    ev += [{"id": 3 + k, "t": 3700 + 300 * k, "kind": "cut", "state_id": 2, "ending": "reset", "family": "ipv4"}
           for k in range(6)]
    ev += [{"id": 20, "t": 7300, "kind": "recheck", "state_id": 2, "ending": None, "verdict": "sticky"},
           {"id": 21, "t": 7400, "kind": "cut", "state_id": 2, "ending": "drop", "opened_before_change": True},
           {"id": 22, "t": 14400, "kind": "stop", "state_id": 2, "ending": None}]
    with i18n.using(i18n.PSEUDO):
        lines = analysis.summary_lines(analysis.analyse(ev, {1: home, 2: vpn}))
        timeline = build(ev, {1: home, 2: vpn})
        assert timeline is not None
        svg = render(timeline)
    assert len(lines) >= 5  # counts, endings, correlations, casualties, recheck
    assert [ln for ln in lines if OPEN not in ln] == []
    parser = _Texts()
    parser.feed(svg)
    assert len(parser.found) > 10
    assert unmarked(parser.found) == [], unmarked(parser.found)


# --- (b) German and Japanese: translated phrases, the language's numbers and dates -------------------------


def _bundle(tmp_path: Path, lang: str, it_language: str | None = None) -> dict[str, str]:
    with i18n.using(lang):
        path = write_bundle(make_report(), tmp_path, language=it_language)
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in ("summary.txt", "report.html", "report.json",
                                                       "charts/idle-ladder.svg")}


def test_german_bundle_reads_german_with_german_numbers_and_dates(tmp_path: Path) -> None:
    files = _bundle(tmp_path, "de")
    summary, page = files["summary.txt"], files["report.html"]
    assert "Leerlauf-Timeout für api.example:443 erhöhen" in summary
    assert "Leerlaufzeit, nach der Verbindungen abbrechen: 30,2 s" in summary
    assert re.search(r"\d\d\.\d\d\.\d{4} \d\d:\d\d UTC", summary)  # 01.12.2025 03:00 UTC
    assert '<html lang="de">' in page and "Was am Netzwerk zu ändern ist" in page
    assert "Test nicht möglich" in page  # the report's own headline, made in German
    assert "<td>20,00 s</td>" in page  # an evidence value, written the German way
    assert "Sekunden Stille" in files["charts/idle-ladder.svg"]
    assert "30,2 s" in files["charts/idle-ladder.svg"]


def test_japanese_bundle_reads_japanese(tmp_path: Path) -> None:
    files = _bundle(tmp_path, "ja")
    summary, page = files["summary.txt"], files["report.html"]
    assert "api.example:443 のアイドルタイムアウトを延ばす" in summary
    assert "接続が切断されるまでのアイドル時間: 30.2 秒" in summary
    assert re.search(r"\d{4}/\d\d/\d\d \d\d:\d\d UTC", summary)
    assert '<html lang="ja">' in page and "検出結果" in page


def test_zh_cn_page_declares_its_language_for_cjk_fonts(tmp_path: Path) -> None:
    assert '<html lang="zh-CN">' in _bundle(tmp_path, "zh_CN")["report.html"]


# --- (c) IT reads English: the report re-said, the page rendered in English --------------------------------


def test_it_language_en_writes_the_whole_bundle_in_english(tmp_path: Path) -> None:
    files = _bundle(tmp_path, "de", it_language="en")
    summary, page, doc = files["summary.txt"], files["report.html"], files["report.json"]
    assert "Raise the idle timeout for api.example:443" in summary
    assert "Idle time after which connections are cut: 30.2 s" in summary
    assert '<html lang="en">' in page and "Could not test" in page and "What to change on the network" in page
    assert "the network itself stayed broken" in doc  # the report's own texts in report.json too
    for german in ("Leerlauf", "Test nicht möglich", "Netzwerk", "Befund"):
        assert all(german not in text for text in files.values()), german
    assert i18n.current() == "en"  # only the rendering was in English: the caller's language is untouched


def test_relocalize_gives_the_english_report_and_summary_text_follows(tmp_path: Path) -> None:
    with i18n.using("de"):
        report = make_report()
        german = summary_text(report)
        english = summary_text(report, language="en")
    assert report.verdict.headline == "Test nicht möglich"
    assert i18n.relocalize(report, "en").verdict.headline == "Could not test"
    assert "Test nicht möglich" in german and "Could not test" in english and "Test nicht möglich" not in english


def test_a_language_we_do_not_speak_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not a language"):
        write_bundle(make_report(), tmp_path, language="tlh")
    assert list(tmp_path.iterdir()) == []  # nothing half-written


# --- the CLI's options ------------------------------------------------------------------------------------


def test_lang_option_is_read_before_the_parser_and_bad_values_are_one_line(capsys: pytest.CaptureFixture[str]
                                                                          ) -> None:
    assert language_option(["--lang", "de", "check"]) == "de"
    assert language_option(["--lang=ja", "lab", "list"]) == "ja"
    assert language_option(["check", "--", "--lang", "xx"]) is None
    assert split_language(["check", "--lang", "fr", "--quick"]) == ("fr", ["check", "--quick"])  # after the command
    assert language_option(["--lang", "qps-ploc", "check"]) == "qps-ploc"  # the translators' pseudo-language
    assert main(["--lang", "xx", "lab", "list"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--lang 'xx'" in err and "Traceback" not in err


def test_lang_option_speaks_the_language_and_the_gui_follows(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str], tmp_path: Path
                                                           ) -> None:
    monkeypatch.setenv("STREAMDOCTOR_LANG", "en")  # restored after the test, like the process's language below
    saved = tmp_path / "report.json"
    import json

    with i18n.using("en"):
        saved.write_text(json.dumps(to_jsonable(make_report())), encoding="utf-8")
    try:
        assert main(["--lang", "de", "bundle", "--from", str(saved), "--out", str(tmp_path)]) == 0
        assert os.environ["STREAMDOCTOR_LANG"] == "de"  # the wizard, started by the same main, follows it
        assert "Diagnosepaket für die IT-Abteilung:" in capsys.readouterr().out
        zips = sorted(tmp_path.glob("*.zip"))
        assert main(["--lang", "de", "bundle", "--from", str(saved), "--out", str(tmp_path / "it"),
                     "--it-language", "en"]) == 0
    finally:
        i18n.set_language("en")
    with zipfile.ZipFile(zips[0]) as z:
        assert "Gemessen:" in z.read("summary.txt").decode()
    with zipfile.ZipFile(next((tmp_path / "it").glob("*.zip"))) as z:
        summary = z.read("summary.txt").decode()
    assert "Measured:" in summary and "Gemessen" not in summary


def test_it_language_is_offered_where_a_bundle_is_written() -> None:
    parser = build_parser()
    assert parser.parse_args(["check", "--it-language", "en"]).it_language == "en"
    assert parser.parse_args(["bundle", "--it-language", "pt_BR"]).it_language == "pt_BR"
    assert parser.parse_args(["watch", "--export", "x", "--it-language", "en"]).it_language == "en"
    assert parser.parse_args(["check"]).it_language is None  # default: the language this run speaks


def test_report_json_keeps_the_texts_after_a_round_trip() -> None:
    with i18n.using("de"):
        doc = to_jsonable(make_report())
    assert report_from(doc).verdict.headline == "Test nicht möglich"


def _all_helps(parser: argparse.ArgumentParser) -> list[str]:
    found = [parser.description or ""]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found += [c.help or "" for c in action._choices_actions]
            for sub in action.choices.values():
                found += _all_helps(sub)
        elif action.help not in (None, argparse.SUPPRESS) and action.dest not in ("help", "version"):
            found.append(str(action.help))
    return [h for h in found if h]


def test_every_help_text_is_marked() -> None:
    with i18n.using(i18n.PSEUDO):
        helps = _all_helps(build_parser())
    assert len(helps) > 50
    assert [h for h in helps if OPEN not in h] == []


def test_help_in_german(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STREAMDOCTOR_LANG", "en")
    try:
        with pytest.raises(SystemExit) as stop:
            main(["--lang", "de", "check", "--help"])
    finally:
        i18n.set_language("en")
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "nur die schnellen Prüfungen" in out and "--it-language CODE" in out


def test_it_language_without_a_bundle_is_one_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--lab", "clean", "--it-language", "en"]) == 2
    assert main(["watch", "--status", "--it-language", "en"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["streamdoctor: error: --it-language chooses the language of the bundle for IT: add --bundle PATH",
                   "streamdoctor: error: --it-language chooses the language of the bundle for IT: add --export FOLDER"]
