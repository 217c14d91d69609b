"""Every screen's footer is KeysFooter: Textual's own rebuilds every key widget on each focus
move (half the CPU of a Tab in the contact form), so no screen may use it directly."""

from __future__ import annotations

import ast
from pathlib import Path

import contact_tui.ui

UI = Path(contact_tui.ui.__file__).parent
HOME = UI / "widgets" / "keys_footer.py"


def footer_imports(source: str) -> list[int]:
    """The lines of ``source`` that import Textual's Footer."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("textual")
        and any(alias.name == "Footer" for alias in node.names)
    ]


def test_no_screen_uses_textuals_footer_directly() -> None:
    offenders = [
        f"{path.relative_to(UI)}:{line}"
        for path in sorted(UI.rglob("*.py"))
        if path != HOME
        for line in footer_imports(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_rule_sees_a_footer_imported_from_textual() -> None:
    assert footer_imports("import os\nfrom textual.widgets import Footer, Static\n") == [2]
    assert footer_imports("from contact_tui.ui.widgets.keys_footer import KeysFooter\n") == []
