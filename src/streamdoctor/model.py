"""The report schema: what probes measure, what diagnosis concludes, what fixes plan.

Everything here is a plain dataclass that round-trips through JSON, so the CLI, the GUI, the bundle and the
tests all speak the same versioned format. Bump SCHEMA_VERSION on any incompatible change.
"""

from __future__ import annotations

import dataclasses
import enum
import time
from dataclasses import dataclass, field
from typing import Any

from .i18n import _, fmt_num

SCHEMA_VERSION = 1

# A stream result's silence_before_end_s below this: the cut came while data was still arriving (not after a
# silence). The stream probe's summary and the wizard's words both say it this way (the rules' idle threshold agrees).
STILL_ARRIVING_S = 1.0


class Status(enum.StrEnum):
    """How a probe went: it measured something good, something bad, or could not measure."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"  # could not test (the probe itself failed, or its preconditions were missing)
    SKIPPED = "skipped"  # not applicable (e.g. no API key for the stream test)
    CANCELLED = "cancelled"


class Severity(enum.StrEnum):
    """How much a finding matters to the user. Ordered: INFO < WARNING < PROBLEM."""

    INFO = "info"
    WARNING = "warning"
    PROBLEM = "problem"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "problem": 2}[self.value]


class Confidence(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Overall(enum.StrEnum):
    HEALTHY = "healthy"
    PROBLEM = "problem"
    UNTESTED = "untested"

    @property
    def exit_code(self) -> int:
        """The CLI's documented exit codes: 0 healthy, 1 a problem was found, 2 could not test."""
        return {"healthy": 0, "problem": 1, "untested": 2}[self.value]


@dataclass
class Evidence:
    """One fact an IT person can check: a label, a value (with unit) and optionally the raw text it came from."""

    label: str
    value: Any
    unit: str = ""
    raw: str = ""

    def shown_value(self) -> str:
        """The value as a reader sees it, numbers the current language's way (a table cell; no unit)."""
        if isinstance(self.value, float):
            return fmt_num(self.value, ".1f" if abs(self.value) >= 10 else ".2f")
        if isinstance(self.value, int) and not isinstance(self.value, bool):
            return fmt_num(self.value)
        if isinstance(self.value, str):
            return self.value  # a Msg stays a Msg, so relocalize can re-say it
        return str(self.value)

    def text(self) -> str:
        """"Label: value unit" in the current language (its decimal mark, its way of joining label and value)."""
        shown = self.shown_value()
        if self.unit:
            # TRANSLATORS: one fact of the evidence, e.g. "Path MTU: 1400 bytes" ({unit} is s, ms, B, KB or bytes)
            return _("{label}: {value} {unit}", label=self.label, value=shown, unit=self.unit)
        # TRANSLATORS: one fact of the evidence without a unit, e.g. "How the stream ended: reset"
        return _("{label}: {value}", label=self.label, value=shown)


@dataclass
class ProbeResult:
    """What one probe measured. `data` holds the probe's own numbers (JSON-able); `evidence` the
    human-checkable subset. A probe never decides what is wrong: that is diagnosis's job."""

    probe: str
    status: Status
    summary: str
    data: dict[str, Any] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)
    error: str = ""
    started_at: float = field(default_factory=time.time)
    duration_s: float = 0.0


@dataclass
class Finding:
    """A conclusion with its reasons. `plain` is the one sentence a non-developer reads; `ask_it` is the text
    they can forward to IT; `fix_ids` name fixes in fixes/ that address it."""

    rule: str
    cause: str
    severity: Severity
    confidence: Confidence
    title: str
    plain: str
    evidence: list[Evidence] = field(default_factory=list)
    fix_ids: list[str] = field(default_factory=list)
    ask_it: str = ""
    failure_mode: int = 0  # row of the failure-mode table in DESIGN.md, 0 when none applies
    explained_by: str = ""  # the cause of another finding that explains this one (diagnosis sets it)


@dataclass
class Verdict:
    overall: Overall
    headline: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return self.overall.exit_code


@dataclass
class FixPlan:
    """What a fix would do, shown to the user before anything changes."""

    fix_id: str
    title: str
    description: str
    preview: str
    needs_admin: bool = False
    reversible: bool = True


@dataclass
class Report:
    """A whole run: the target, every probe result and the verdict."""

    target: dict[str, Any]
    results: list[ProbeResult]
    verdict: Verdict
    app_version: str = ""
    created_at: float = field(default_factory=time.time)
    schema_version: int = SCHEMA_VERSION

    def result(self, probe: str) -> ProbeResult | None:
        return next((r for r in self.results if r.probe == probe), None)


def to_jsonable(obj: Any) -> Any:
    """Dataclasses, enums, tuples and dicts to plain JSON types (enums by value)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, float):
        return round(obj, 6)
    return obj


def evidence_from(d: dict[str, Any]) -> Evidence:
    return Evidence(**d)


def probe_result_from(d: dict[str, Any]) -> ProbeResult:
    d = dict(d)
    d["status"] = Status(d["status"])
    d["evidence"] = [evidence_from(e) for e in d.get("evidence", [])]
    return ProbeResult(**d)


def finding_from(d: dict[str, Any]) -> Finding:
    d = dict(d)
    d["severity"] = Severity(d["severity"])
    d["confidence"] = Confidence(d["confidence"])
    d["evidence"] = [evidence_from(e) for e in d.get("evidence", [])]
    return Finding(**d)


def report_from(d: dict[str, Any]) -> Report:
    """Rebuild a Report from its JSON form; refuses a newer schema than this code understands."""
    version = d.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise ValueError(f"report schema version {version!r} is not supported (this build reads <= {SCHEMA_VERSION})")
    v = d["verdict"]
    verdict = Verdict(Overall(v["overall"]), v["headline"], [finding_from(f) for f in v.get("findings", [])])
    return Report(
        target=d["target"],
        results=[probe_result_from(r) for r in d["results"]],
        verdict=verdict,
        app_version=d.get("app_version", ""),
        created_at=d.get("created_at", 0.0),
        schema_version=version,
    )
