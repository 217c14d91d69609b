"""Each agent's own key bindings: ``~/.config/contact-tui/keys.toml``.

Keys are personal (a terminal that eats F2, a habit from another tool), so they live in the
agent's home, not in the admin config; they change which key runs an action, never what an
agent may do. Example::

    [keys]
    "main.add_to_contacts" = "f6"
    "form.save" = "ctrl+s,f10"
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from textual.binding import Binding
from textual.screen import Screen


def keymap_path() -> Path:
    """Where the agent's key bindings live (XDG_CONFIG_HOME is honoured)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "contact-tui" / "keys.toml"


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], str]:
    """The agent's bindings and a problem to report ('' when none). A bad file is reported
    and ignored: the defaults still work."""
    path = path or keymap_path()
    if not path.exists():
        return {}, ""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        return {}, f"Ignored {path}: {err}."
    keys = data.get("keys", {})
    if not isinstance(keys, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in keys.items()
    ):
        return {}, f'Ignored {path}: [keys] must map binding ids to keys, e.g. "main.edit" = "f4".'
    return dict(keys), ""


@dataclass(frozen=True)
class BoundAction:
    """One action a screen offers and the keys that run it now, as the agent's keymap has
    them (for the help screen and the command palette, so neither shows a default key the
    agent has rebound)."""

    binding: Binding
    keys: tuple[str, ...]
    enabled: bool
    everywhere: bool  # an app-wide key rather than this screen's own


# Textual's own bindings worth telling an agent about; every binding of ours has an id.
NAMED_BUILTINS = frozenset({"app.focus_next", "app.focus_previous", "command_palette"})


def bound_actions(screen: Screen[object]) -> list[BoundAction]:
    """The screen's and the app's actions with the keys that run them here and now.

    Read from ``screen.active_bindings``, which applies the agent's keymap and asks each
    screen's ``check_action`` (actions hidden now are left out; disabled ones are marked).
    A key the focused widget takes for itself (a letter in a search box) is not listed,
    since pressing it would not run the action. Widgets' own keys (cursor moves) are left
    out: they are the same in every terminal app. A modal screen shuts out the app's keys
    except priority ones (quit, help, palette), which are added back as they still work.
    """
    app = screen.app
    found: dict[tuple[bool, str], BoundAction] = {}

    def add(node: object, binding: Binding, enabled: bool) -> None:
        if node is not screen and node is not app:
            return
        if binding.id is None and binding.action not in NAMED_BUILTINS:
            return
        # One line per action: ctrl+s and F2 both save, under two ids.
        ident = (node is app, binding.action)
        key = app.get_key_display(binding)
        known = found.get(ident)
        if known is None:
            found[ident] = BoundAction(binding, (key,), enabled, node is app)
        elif key not in known.keys:
            found[ident] = replace(known, keys=(*known.keys, key))

    for active in screen.active_bindings.values():
        add(active.node, active.binding, active.enabled)
    if screen.is_modal:
        # Private, but it is the chain Textual itself checks priority keys against.
        for node, bindings in screen._binding_chain:
            if node is not app:
                continue
            for key_bindings in bindings.key_to_bindings.values():
                for binding in key_bindings:
                    state = app.check_action(binding.action, ())
                    if binding.priority and state is not False:
                        add(node, binding, state is True)

    def declared(node: object) -> list[str]:
        return [b.action for b in getattr(type(node), "BINDINGS", []) if isinstance(b, Binding)]

    # In the order the screen declares them (a rebound key moves to the end of Textual's map).
    ranks = {False: declared(screen), True: declared(app)}

    def rank(ident: tuple[bool, str]) -> tuple[bool, int]:
        names = ranks[ident[0]]
        return ident[0], names.index(ident[1]) if ident[1] in names else len(names)

    return [found[ident] for ident in sorted(found, key=rank)]
