"""The service tests are the contract suite: each runs over the embedded store and PostgreSQL
(tests/contract.py). ``service_for`` and ``service`` here override the root ones."""

from __future__ import annotations

import pytest

from contact_tui.service import ContactService
from tests.contract import Factory, Stores


@pytest.fixture
def service_for(stores: Stores) -> Factory:
    """Build services over one shared store: ``service_for("bob", Permission.VIEW)``."""
    return stores.service


@pytest.fixture
def service(service_for: Factory) -> ContactService:
    """A service for agent alice with every permission."""
    return service_for("alice")
