"""The lab: a simulated Anthropic Messages API and a fault proxy that breaks it like corporate networks do."""

from .profiles import LAB_PROBE_LIMITS, PROFILES, LabProfile, get_profile
from .runtime import LabRuntime
from .server import LAB_API_KEY, REFUSED_API_KEY

__all__ = ["LAB_API_KEY", "LAB_PROBE_LIMITS", "PROFILES", "REFUSED_API_KEY", "LabProfile", "LabRuntime",
           "get_profile"]
