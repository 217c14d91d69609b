"""Bulk work without the cyclic garbage collector scanning it.

Loading or importing 100,000 contacts makes millions of objects that live on; each time the
collector's thresholds trip it walks all of them, and a single such pass was seen taking over
a second in the middle of an import. None of these objects form cycles that need collecting,
so bulk steps pause the collector and restore it afterwards.

The collector is one switch for the whole process, and the app runs store work in several
threads; a count of the blocks under way (not each block's own memory of the switch) decides
when it goes back on, so two threads' blocks cannot leave it off for good.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Run a block with the cyclic GC off; the last block to finish, in any thread, puts it
    back as it was before the first began."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
