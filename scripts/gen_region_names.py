"""Write contact_tui/domain/region_names.py: each region's English name, from phonenumbers.

phonenumbers keeps region names for every language in one module whose import costs a third of
a second; the app names a country in the first warning about a kept number (the form, a save,
an import) and would pay that on the agent's first save. Run from the repository root after
upgrading phonenumbers (tests/unit/test_region_names.py fails until then):
``.venv/bin/python scripts/gen_region_names.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from contact_tui.domain.rules import english_region_names  # noqa: E402


def main() -> None:
    """Write the module."""
    names = english_region_names()
    # JSON strings are Python strings in the quotes ruff format keeps.
    body = "".join(
        f"    {json.dumps(region)}: {json.dumps(name, ensure_ascii=False)},\n"
        for region, name in sorted(names.items())
    )
    (ROOT / "contact_tui" / "domain" / "region_names.py").write_text(
        '"""Each phone region\'s English name, as phonenumbers\' geocoding data has it.\n\n'
        "Written by scripts/gen_region_names.py (do not edit); tests/unit/test_region_names.py\n"
        'holds it to the installed phonenumbers."""\n\n'
        "from __future__ import annotations\n\n"
        "from typing import Final\n\n"
        f"REGION_NAMES: Final[dict[str, str]] = {{\n{body}}}\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
