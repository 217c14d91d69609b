"""Import and export of whole files through the service, the one path the directory's
exchange dialog and the command line both take (read, parse, check, import; write atomically)."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from contact_tui.domain.draft import ContactDraft
from contact_tui.domain.model import Permission
from contact_tui.exchange.formats import ExchangeError
from contact_tui.service import ContactService, PermissionDenied

Factory = Callable[..., ContactService]


def _add(service: ContactService, first: str) -> str:
    return service.create_contact(ContactDraft(first_name=first, last_name="Vries")).id


def test_import_is_refused_before_the_file_is_read(service_for: Factory, tmp_path: Path) -> None:
    viewer = service_for("vic", Permission.VIEW)

    # The file does not exist: a refusal that came after reading would be an ExchangeError.
    with pytest.raises(PermissionDenied):
        viewer.import_file(str(tmp_path / "missing.csv"))


def test_an_unreadable_file_imports_nothing(service: ContactService, tmp_path: Path) -> None:
    with pytest.raises(ExchangeError, match="does not exist"):
        service.import_file(str(tmp_path / "missing.csv"))

    assert service.export_text("csv").count == 0


def test_an_export_file_is_private_and_imports_back_unchanged(
    service_for: Factory, tmp_path: Path
) -> None:
    alice = service_for("alice")
    ids = {_add(alice, "Sam"), _add(alice, "Kim")}
    path = tmp_path / "contacts.csv"

    export = alice.export_file(str(path), "csv")

    assert export.count == 2
    assert export.mode == stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == export.text.encode("utf-8")
    name, report = service_for("bob").import_file(str(path), dry_run=True)
    assert name == "csv"
    assert (report.unchanged, report.created, report.problems) == (2, [], [])
    assert {c.id for c in alice.export_contacts()} == ids


def test_a_long_running_service_exports_what_another_process_saved(
    service_for: Factory,
) -> None:
    app = service_for("alice")
    assert app.export_text("genesys").count == 0

    _add(service_for("bob"), "Sam")  # another agent's process, another open store

    assert app.export_text("genesys").count == 1
