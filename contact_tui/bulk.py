"""Bulk work without the cyclic garbage collector scanning it.

Loading or importing 100,000 contacts makes millions of objects that live on; each time the
collector's thresholds trip it walks all of them, and a single such pass was seen taking over
a second in the middle of an import. None of these objects form cycles that need collecting,
so bulk steps pause the collector and restore it afterwards.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Run a block with the cyclic GC off, then put it back as it was (nesting is fine)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
