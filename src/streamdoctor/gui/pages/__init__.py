"""One module per wizard page. Pages read and write the wizard's WizardState and never each other."""

from __future__ import annotations

import enum


class PageId(enum.IntEnum):
    WELCOME = 0
    SETUP = 1
    SCAN = 2
    STRESS = 3
    IDLE = 4
    RESULTS = 5
    SAVE = 6
