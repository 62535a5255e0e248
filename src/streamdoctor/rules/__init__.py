"""Diagnosis rules, one module per area. Importing this package registers them all with diagnosis.rule."""

from . import (
    environment,  # noqa: F401
    idle,  # noqa: F401
    network,  # noqa: F401
    stream,  # noqa: F401
    watch,  # noqa: F401
)
