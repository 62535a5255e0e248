"""Named lab scenarios: the simulated API's behaviour plus the fault proxy in front of it.

Durations are scaled down from the field (seconds instead of minutes) so a demo and the tests finish fast;
the mechanism is the same as the real middlebox's. `expect` names the finding `check` must report, which the
test suite holds every profile to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import UnknownProfileError
from ..i18n import N_, _
from .faultproxy import Fault, FaultSpec
from .server import ServerBehaviour


@dataclass(frozen=True)
class LabProfile:
    name: str
    description: str
    behaviour: ServerBehaviour
    fault: FaultSpec = field(default_factory=FaultSpec)
    probe_overrides: dict[str, Any] = field(default_factory=dict)
    expect: str = ""  # the Finding.cause `check` must report; "" means healthy
    failure_mode: int = 0

    def shown_description(self) -> str:
        """The description in the user's language (the table holds the English N_() msgid: it is built at import,
        before the language is chosen)."""
        return _(self.description)


# Probe limits used against every lab profile: short enough that a broken stream is seen in seconds.
LAB_PROBE_LIMITS = {"stall_timeout_s": 8.0, "first_byte_timeout_s": 15.0, "slow_first_byte_s": 2.0,
                    # the idle test's ladder at lab scale: the profiles cut after 3 s, so 1-8 s brackets them
                    "idle_min_s": 1.0, "idle_max_s": 8.0, "idle_quick_max_s": 6.0}

PROFILES: dict[str, LabProfile] = {
    p.name: p
    for p in [
        LabProfile(
            "clean",
            N_("A healthy API: answers start in 0.3 s, SSE pings every 0.5 s, nothing cuts the stream."),
            ServerBehaviour(ttft_s=0.3, ping_interval_s=0.5),
        ),
        LabProfile(
            "idle-reset",
            N_("A load balancer/firewall that resets both ends (RST) of connections silent for 3 s (Azure LB, ASA "
               "reset-on-idle); the model thinks for 6 s first."),
            ServerBehaviour(ttft_s=6.0),
            FaultSpec(Fault.IDLE_RESET, idle_s=3.0),
            expect="idle-reset",
            failure_mode=1,
        ),
        LabProfile(
            "idle-drop",
            N_("A firewall/NAT that forgets connections silent for 3 s (plain conntrack): no RST, no FIN, the "
               "client hangs."),
            ServerBehaviour(ttft_s=6.0),
            FaultSpec(Fault.IDLE_DROP, idle_s=3.0),
            expect="idle-drop",
            failure_mode=1,
        ),
        LabProfile(
            "idle-fin",
            N_("A proxy closes connections silent for 3 s politely (FIN), like a TLS-inspecting proxy's idle timeout."),
            ServerBehaviour(ttft_s=6.0),
            FaultSpec(Fault.IDLE_FIN, idle_s=3.0),
            expect="idle-close",
            failure_mode=2,
        ),
        LabProfile(
            "buffering",
            N_("A buffering reverse proxy (nginx proxy_buffering on) holds the whole answer and sends it in one lump."),
            ServerBehaviour(ttft_s=0.3, max_deltas=300, delta_interval_s=0.01, close_after_response=True),
            FaultSpec(Fault.BUFFER),
            expect="buffering",
            failure_mode=3,
        ),
        LabProfile(
            "midstream-reset",
            N_("Something on the path (DPI, antivirus) resets the connection 4 KB into the answer."),
            ServerBehaviour(ttft_s=0.3, max_deltas=400, delta_interval_s=0.005),
            FaultSpec(Fault.RESET_AFTER_BYTES, after_bytes=4096),
            expect="midstream-reset",
            failure_mode=1,
        ),
        LabProfile(
            "slow-first-byte",
            N_("The first byte of every answer takes 5 s (an overloaded gateway or a scanning proxy holding it)."),
            ServerBehaviour(header_delay_s=5.0, ttft_s=0.2),
            expect="slow-first-byte",
            failure_mode=9,
        ),
        LabProfile(
            "rate-limited",
            N_("The API answers 429 Too Many Requests with retry-after: not a network problem."),
            ServerBehaviour(status=429),
            expect="rate-limited",
            failure_mode=12,
        ),
        LabProfile(
            "overloaded",
            N_("The API answers 529 Overloaded: not a network problem."),
            ServerBehaviour(status=529),
            expect="overloaded",
            failure_mode=12,
        ),
        LabProfile(
            "sse-error",
            N_("The stream starts, then the API sends an `event: error` (overloaded) mid-answer."),
            ServerBehaviour(ttft_s=0.2, error_after_deltas=20),
            expect="sse-error",
            failure_mode=12,
        ),
        LabProfile(
            "garbage",
            N_("Something answers in the API's place with an HTML page instead of the API (a block page)."),
            ServerBehaviour(garbage=True),
            expect="not-the-api",
            failure_mode=11,
        ),
    ]
}


def get_profile(name: str) -> LabProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownProfileError(_("unknown lab profile '{name}'; run 'streamdoctor lab list' to see the profiles",
                                    name=name)) from None
