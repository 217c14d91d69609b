"""The hostile-input tests run without the system config. They use the command-line tests'
config and runner (tests/cli/fixtures.py) and the screen tests' ``world`` (tests/conftest.py);
the yardsticks the tests measure against are in tests/hostile/text_rules.py.
"""

from __future__ import annotations

import pytest

from tests.cli.runner import isolate_from_system_config


@pytest.fixture(autouse=True)
def _no_system_config(monkeypatch: pytest.MonkeyPatch) -> None:
    # A system config would win over --config and point the tests at a real store.
    isolate_from_system_config(monkeypatch)
