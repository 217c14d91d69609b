"""paused_gc: bulk work runs without the cyclic GC, which always comes back on."""

from __future__ import annotations

import contextlib
import gc
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from contact_tui.bulk import paused_gc
from contact_tui.store.indexes import Indexes
from contact_tui.store.jsonstore import JsonStore


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


def test_a_store_load_ending_during_an_import_leaves_the_gc_off_until_the_import_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The attack on the old hand-made toggle: a load (remembering "on") begins, an import in
    # another thread begins (remembering "off"), the load ends and turns the GC back on in
    # the middle of the import, and the import then leaves it off for good.
    path = tmp_path / "store.json"
    JsonStore(path).close()
    real_build = Indexes.build
    with contextlib.ExitStack() as an_import:

        def build_while_an_import_begins(tables: Any) -> Indexes:
            an_import.enter_context(paused_gc())
            return real_build(tables)

        monkeypatch.setattr(Indexes, "build", build_while_an_import_begins)
        assert gc.isenabled()
        JsonStore(path).close()
        assert not gc.isenabled()  # the import is still under way
    assert gc.isenabled()
