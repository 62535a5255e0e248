"""Probes that look along the path to the API: which hop resets or answers in place of the server."""

from .whocut import WhoCutProbe

__all__ = ["WhoCutProbe"]
