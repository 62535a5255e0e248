"""Typed errors. Core code raises these; the CLI and the GUI turn them into words in one place each.

Every UserError carries a one-line message that says what is wrong and what to do about it.
"""

from __future__ import annotations


class StreamDoctorError(Exception):
    """Base of every error the product raises on purpose."""


class UserError(StreamDoctorError):
    """Bad input or an unusable environment: shown to the user as one line, exit code 2."""


class UnknownProfileError(UserError):
    pass


class BadURLError(UserError):
    pass


class PortInUseError(UserError):
    pass


class Cancelled(StreamDoctorError):
    """The user cancelled; not an error to report."""
