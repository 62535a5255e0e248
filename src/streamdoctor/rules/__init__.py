"""Diagnosis rules, one module per area. Importing this package registers them all with diagnosis.rule."""

from . import (
    causes,  # noqa: F401
    claude_code,  # noqa: F401
    environment,  # noqa: F401
    idle,  # noqa: F401
    matrix,  # noqa: F401
    network,  # noqa: F401
    stream,  # noqa: F401
    watch,  # noqa: F401
    whocut,  # noqa: F401
)
