"""Every fix, in the order the results page lists them. Importing this registers every undo handler."""

from __future__ import annotations

from . import FIX_IDS
from .base import Fix
from .claude_code import ClaudeCodeCAFix, ClaudeCodeProxyFix, ClaudeCodeTimeoutsFix
from .env import EnvCAFix, EnvProxyFix
from .journal import FixError
from .mtu import MtuFix
from .nginx import NginxStreamingFix
from .sdk_snippet import SdkSnippetFix


class UnknownFixError(FixError):
    pass


def all_fixes() -> list[Fix]:
    """Fresh instances, one per fix id."""
    return [MtuFix(), ClaudeCodeTimeoutsFix(), ClaudeCodeProxyFix(), ClaudeCodeCAFix(), SdkSnippetFix(),
            NginxStreamingFix(), EnvProxyFix(), EnvCAFix()]


def get_fix(fix_id: str) -> Fix:
    for fix in all_fixes():
        if fix.id == fix_id:
            return fix
    raise UnknownFixError(f"unknown fix '{fix_id}'; the fixes are: {', '.join(FIX_IDS)}")
