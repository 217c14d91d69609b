"""Write contact_tui/store/postgres/foldmap.py from ``schema.fold_map()``.

Run from the repository root when domain.text.fold changes (tests/pg/test_fold_sql.py then
fails until the table is written again), together with a migration that replaces the
database's fold(): ``.venv/bin/python scripts/gen_foldmap.py``.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from contact_tui.store.postgres.schema import fold_map  # noqa: E402

WIDTH = 88  # characters of the table a line, within the line length with its quotes


def main() -> None:
    """Write the module."""
    text = fold_map()
    lines = []
    while text:
        cut = min(WIDTH, len(text))
        while cut < len(text) and text[cut - 1] == "\\":  # a raw string cannot end in one
            cut -= 1
        lines.append(text[:cut])
        text = text[cut:]
    body = "\n".join(f"    r'{line}'" if '"' in line else f'    r"{line}"' for line in lines)
    version = unicodedata.unidata_version
    (ROOT / "contact_tui" / "store" / "postgres" / "foldmap.py").write_text(
        f'''"""domain.text.fold as a table, pinned for the SQL fold() (schema.py).

Written by scripts/gen_foldmap.py from ``schema.fold_map()`` (Unicode {version}); not by hand.
tests/pg/test_fold_sql.py checks that the derivation still gives this table: a change in the
domain's folding must come with a migration, not make new databases differ from old ones.
"""

UNICODE_VERSION = "{version}"
FOLD_MAP = (
{body}
)
'''
    )


if __name__ == "__main__":
    main()
