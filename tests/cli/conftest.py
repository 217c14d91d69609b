"""The command-line tests run without the system config. Their fixtures (a config in a
temporary folder, and a runner) are in tests/cli/fixtures.py, shared with the hostile-input
tests; the helpers behind them are in tests/cli/runner.py.
"""

from __future__ import annotations

import pytest

from tests.cli.runner import isolate_from_system_config


@pytest.fixture(autouse=True)
def _no_system_config(monkeypatch: pytest.MonkeyPatch) -> None:
    # A system config would win over --config and point the tests at a real store.
    isolate_from_system_config(monkeypatch)
