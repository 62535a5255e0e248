"""The wizard's shared state: one dataclass owned by the wizard, read and written by every page.

Pages never talk to each other; they read what earlier pages left here (MusicBrainz Picard's setup wizard
keeps its shared state the same way). Nothing here imports Qt, so it is easy to test and to reason about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..model import Overall, ProbeResult, Report, Verdict
from ..urls import sends_key_in_cleartext

DEFAULT_BASE_URL = "https://api.anthropic.com"
# Probes that have a page of their own; every other probe belongs to the Scan page's checklist.
STRESS_PROBE = "stream"
IDLE_PROBE = "idle"
OWN_PAGE_PROBES = (STRESS_PROBE, IDLE_PROBE)


@dataclass
class WizardState:
    lab_profile: str = ""
    lab_url: str = ""
    lab_overrides: dict[str, Any] = field(default_factory=dict)
    ca_file: str = ""  # the lab's throwaway CA (trusted by the probes only, never installed)
    api_key: str = ""
    key_source: str = ""  # "typed", "environment", "keychain", "lab": shown to the user, never the key itself
    remember_key: bool = False
    base_url: str = DEFAULT_BASE_URL
    quick: bool = False  # thorough by default: the live tests are what find a cut stream
    results: dict[str, ProbeResult] = field(default_factory=dict)
    ctx: Any = None  # the ProbeContext of the current run (built when the scan starts)
    report: Report | None = None
    bundle_path: Path | None = None
    user_error: str = ""  # the error text the user picked or pasted on the Setup page ("" = none)
    read_client_logs: bool = False  # consent to read Claude Code's own debug logs (Setup page)
    run_user_clients: bool = False  # consent to run the installed Claude Code, Node SDK and curl once (Setup page)
    report_in_english: bool = False  # Save page: the bundle, summary and e-mail for IT in English, not the UI's

    @property
    def is_lab(self) -> bool:
        return bool(self.lab_profile)

    # --- which probes run where ----------------------------------------------------------------------

    def planned(self) -> list[Any]:
        from ..probes import select

        return list(select(self.quick))

    def planned_names(self) -> set[str]:
        return {p.name for p in self.planned()}

    def scan_probes(self) -> list[Any]:
        return [p for p in self.planned() if p.name not in OWN_PAGE_PROBES]

    def probe(self, name: str) -> Any | None:
        return next((p for p in self.planned() if p.name == name), None)

    def stress_applies(self) -> bool:
        """No key, no stress test: the stream probe needs a real request."""
        return bool(self.api_key) and STRESS_PROBE in self.planned_names()

    def idle_applies(self) -> bool:
        """The idle test is long: run it in a thorough check, or when something already looks wrong."""
        if IDLE_PROBE not in self.planned_names():
            return False
        return not self.quick or self.verdict().overall is not Overall.HEALTHY

    # --- the run ---------------------------------------------------------------------------------------

    def new_context(self) -> Any:
        """A fresh ProbeContext for a new run, built the way cli.make_context builds it."""
        from ..lab.reference import midstream_reset_server
        from ..probes import ProbeContext

        ctx = ProbeContext(base_url=self.lab_url or self.base_url, quick=self.quick, lab_profile=self.lab_profile,
                           ca_file=self.ca_file, reference_server=midstream_reset_server)
        if self.lab_profile:
            from ..lab.isolation import lab_key

            ctx.api_key = lab_key(self.api_key)  # whatever was typed: the real key never goes to the lab
        else:
            ctx.api_key = self.api_key
            if self.api_key and sends_key_in_cleartext(ctx.base_url):
                ctx.options["plain_http_consented"] = True  # the Setup page kept the key only after a Yes
        for name, value in self.lab_overrides.items():
            if hasattr(ctx, name):
                setattr(ctx, name, value)
            else:
                ctx.options[name] = value
        if self.run_user_clients:
            ctx.options["user_clients"] = True  # like `check --user-clients`: they may use the user's quota
        self.ctx = ctx
        self.results = {}
        self.report = None
        self.bundle_path = None
        return ctx

    def add_results(self, results: list[ProbeResult]) -> None:
        for r in results:
            self.results[r.probe] = r
        if self.ctx is not None:
            self.ctx.results.update({r.probe: r for r in results})
        self.report = None

    def forget_results(self, names: tuple[str, ...]) -> None:
        for name in names:
            self.results.pop(name, None)
        self.report = None

    def verdict(self) -> Verdict:
        from ..diagnosis import diagnose

        return diagnose(self.results.values(), self.lab_url or self.base_url)

    def build_report(self) -> Report:
        if self.report is None:
            if self.read_client_logs and "claude.logs" not in self.results:
                from ..probes.claude_logs import read_claude_logs

                # Local files only (bounded: a few files, their last 512 KB), read with the user's consent.
                self.results["claude.logs"] = read_claude_logs()
            self.report = Report(
                target={"base_url": self.lab_url or self.base_url, "lab_profile": self.lab_profile,
                        "quick": self.quick},
                results=list(self.results.values()),
                verdict=self.verdict(),
                app_version=__version__,
            )
            if self.user_error:
                from ..error_texts import relate

                clients = self.results.get("env.clients")
                self.report.target["user_error"] = relate(
                    self.user_error, self.report.verdict, clients.data if clients is not None else None)
        return self.report
