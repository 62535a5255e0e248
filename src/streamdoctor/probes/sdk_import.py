"""Import the anthropic SDK safely from probe threads.

Probes run on concurrent threads, and two threads importing the SDK (pydantic underneath) at the same moment
can see a partly initialised module and fail with "cannot import name ... (most likely due to a circular
import)". Every thread that needs the SDK should import it through load_anthropic(): one lock serialises the
first import, and a failed attempt caused by a foreign thread's concurrent import is retried.
"""

from __future__ import annotations

import threading
import time
from types import ModuleType

_LOCK = threading.Lock()
_ATTEMPTS = 3


def load_anthropic() -> ModuleType:
    with _LOCK:
        for attempt in range(_ATTEMPTS):
            try:
                # A plain import statement (not importlib): the freezer sees it and collects the SDK.
                import anthropic

                return anthropic
            except ImportError as exc:
                # A half-imported module from another thread: wait for it to finish, then try again. A missing
                # package ("No module named") is final.
                if "No module named" in str(exc) or attempt == _ATTEMPTS - 1:
                    raise
                time.sleep(0.3)
    raise AssertionError("unreachable")
