"""The layer rule from DESIGN.md: nothing below the UI imports Textual."""

from __future__ import annotations

import subprocess
import sys

BELOW_UI = [
    "contact_tui.domain.model",
    "contact_tui.domain.rules",
    "contact_tui.domain.draft",
    "contact_tui.domain.identity",
    "contact_tui.store.jsonstore",
    "contact_tui.store.repository",
    "contact_tui.store.doctor",
    "contact_tui.service",
    "contact_tui.config",
    "contact_tui.bootstrap",
    "contact_tui.exchange.formats",
    "contact_tui.exchange.importer",
    "contact_tui.exchange.interactions",
    "contact_tui.cli",
]


def test_domain_store_and_service_never_import_textual() -> None:
    # A fresh interpreter, so that modules other tests imported cannot hide a leak.
    code = (
        "import importlib, sys\n"
        f"for name in {BELOW_UI!r}: importlib.import_module(name)\n"
        "leaks = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(leaks))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_only_the_store_touches_tinydb() -> None:
    code = (
        "import importlib, sys\n"
        "for name in ['contact_tui.service', 'contact_tui.domain.draft',\n"
        "             'contact_tui.exchange.formats']:\n"
        "    importlib.import_module(name)\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('tinydb'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
