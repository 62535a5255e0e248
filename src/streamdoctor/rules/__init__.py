"""Diagnosis rules, one module per area. Importing this package registers them all with diagnosis.rule."""

from . import stream  # noqa: F401
