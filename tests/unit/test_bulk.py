"""paused_gc: bulk work runs without the cyclic GC, which always comes back on."""

from __future__ import annotations

import gc
import sys
import threading

from contact_tui.bulk import paused_gc


def test_the_gc_is_off_inside_and_back_on_after_even_after_an_error() -> None:
    assert gc.isenabled()
    try:
        with paused_gc():
            assert not gc.isenabled()
            with paused_gc():
                assert not gc.isenabled()
            assert not gc.isenabled()
            raise ValueError
    except ValueError:
        pass
    assert gc.isenabled()


def test_blocks_in_two_threads_never_leave_the_gc_off() -> None:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to hit the race
    try:

        def loop() -> None:
            for _ in range(20_000):
                with paused_gc():
                    pass

        threads = [threading.Thread(target=loop) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert gc.isenabled()
