"""Stream Doctor: finds out why Claude's streamed answers are cut, and says what to change."""

__version__ = "0.1.0"
