"""Fixtures for the permission matrix tiers; the combinations, the scene and the fingerprint
are in tests/permissions/matrix.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.permissions.matrix import PgScenes, SceneTemplates
from tests.pg.server import PgServer


@pytest.fixture(scope="session")
def scene_templates(tmp_path_factory: pytest.TempPathFactory) -> SceneTemplates:
    """The scenes each test copies: one per agent, built once per test process, on first use
    (so inside a test, under its strict umask, as a scene built per test was)."""
    return SceneTemplates(tmp_path_factory.mktemp("scenes"))


@pytest.fixture(scope="session")
def pg_scenes(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgScenes]:
    """The scenes in PostgreSQL: one per agent, built once per test process; each test puts
    back what it changed (see ``PgScenes``)."""
    scenes = PgScenes(pg_server, tmp_path_factory.mktemp("pg-scenes"))
    yield scenes
    scenes.close()
