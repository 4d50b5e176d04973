"""Pause the cyclic garbage collector around the end-of-run writers.

At the end of a big run the heap holds every item, report and fixture of the session; the
writers allocate many short-lived objects, and each generation-2 collection they trigger
walks that whole heap again. Nothing they build is cyclic garbage, so pausing the collector
for their few hundred milliseconds changes no result and saves most of their time.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Disable automatic collection inside the block; restore the previous state after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
