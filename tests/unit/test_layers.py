"""The layer rule from DESIGN.md (ui -> service -> (domain, store)), checked at run time.

`lint-imports` (contracts in pyproject.toml, run by `make test`) checks the import graph; this
checks what a fresh interpreter actually loads, walking the package so that a new module is
covered the day it is added rather than when someone remembers a list.
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import contact_tui


def modules(*, outside: tuple[str, ...]) -> list[str]:
    """Every module of the package except those under the ``outside`` prefixes."""
    found = [
        info.name
        for info in pkgutil.walk_packages(contact_tui.__path__, prefix="contact_tui.")
        if info.name != "contact_tui.__main__"
    ]
    return sorted(n for n in found if not n.startswith(outside))


def loaded_after_importing(names: list[str], prefix: str) -> list[str]:
    """The modules starting with ``prefix`` that a fresh interpreter holds after importing
    ``names`` (fresh, so that what other tests imported cannot hide a leak)."""
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}: importlib.import_module(name)\n"
        f"print(','.join(sorted(m for m in sys.modules if m == {prefix!r} "
        f"or m.startswith({prefix + '.'!r}))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_the_walk_finds_the_layers() -> None:
    # A walk that found nothing would make the tests below pass vacuously.
    below = modules(outside=("contact_tui.ui",))
    for layer in ("domain", "store", "service", "exchange", "cli", "config", "bootstrap"):
        assert any(m.startswith(f"contact_tui.{layer}") for m in below), layer
    assert "contact_tui.ui.app" in modules(outside=())


def test_nothing_below_the_screens_loads_textual() -> None:
    # The command line is in the walk too: its subcommands must start without Textual (only
    # the app command imports the screens, late).
    assert loaded_after_importing(modules(outside=("contact_tui.ui",)), "textual") == []


def test_only_the_embedded_store_loads_tinydb() -> None:
    names = modules(outside=("contact_tui.ui", "contact_tui.store.tinydb_view"))
    assert loaded_after_importing(names, "tinydb") == []
