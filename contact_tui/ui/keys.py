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
from pathlib import Path


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
