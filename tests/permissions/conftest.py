"""Fixtures for the permission matrix tiers; the combinations, the scene and the fingerprint
are in tests/permissions/matrix.py."""

from __future__ import annotations

import pytest

from tests.permissions.matrix import SceneTemplates


@pytest.fixture(scope="session")
def scene_templates(tmp_path_factory: pytest.TempPathFactory) -> SceneTemplates:
    """The scenes each test copies: one per agent, built once per test process, on first use
    (so inside a test, under its strict umask, as a scene built per test was)."""
    return SceneTemplates(tmp_path_factory.mktemp("scenes"))
