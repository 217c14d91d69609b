"""`contact-tui admin ...`, `expire` and `doctor`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from contact_tui.cli.exits import EXIT_INVALID, EXIT_OK, EXIT_PERMISSION, EXIT_UNREADABLE
from tests.cli.runner import USER, Runner, write_config


def test_admin_show(run: Runner, config: Path) -> None:
    result = run("admin", "show")
    assert result.code == EXIT_OK, result.err
    assert f"Agent        {USER}" in result.out
    assert "supervisor" in result.out
    assert str(config) in result.out
    assert str(config.parent / "store.json") in result.out
    assert "default-country-code  1" in result.out
    doc = run("--json", "admin", "show").json()
    assert doc["settings"]["default-country-code"] == {"value": 1, "source": "config"}
    assert doc["agent"]["user"] == USER
    assert doc["agent"]["roles"] == ["supervisor"]
    assert "contactTui:settings:edit" in doc["agent"]["permissions"]
    assert doc["config"] == str(config)


def test_admin_set_is_stored_and_shown(run: Runner) -> None:
    result = run("admin", "set", "default-country-code", "+44")
    assert result.code == EXIT_OK, result.err
    assert "default-country-code = 44" in result.out
    assert run("--json", "admin", "set", "ephemeral-ttl-days", "30").json() == {
        "name": "ephemeral-ttl-days",
        "value": 30,
    }
    settings = run("--json", "admin", "show").json()["settings"]
    assert settings["default-country-code"] == {"value": 44, "source": "store"}
    assert settings["ephemeral-ttl-days"] == {"value": 30, "source": "store"}


def test_admin_set_refuses_bad_values(run: Runner) -> None:
    bad = run("admin", "set", "default-country-code", "999")
    assert bad.code == EXIT_INVALID
    assert "no country calling code +999" in bad.err
    unknown = run("admin", "set", "colour", "red")
    assert unknown.code == EXIT_INVALID
    assert "invalid choice" in unknown.err
    assert run("admin", "set", "ephemeral-ttl-days", "0").code == EXIT_INVALID


def test_admin_set_needs_the_admin_permission(run: Runner, tmp_path: Path) -> None:
    agent_config = write_config(tmp_path / "agent", role="agent")
    result = run("admin", "set", "default-country-code", "44", config_path=agent_config)
    assert result.code == EXIT_PERMISSION
    assert "change admin settings" in result.err
    assert run("admin", "show", config_path=agent_config).code == EXIT_OK


def _seed_old_ephemeral(folder: Path) -> None:
    old = "2020-01-01T00:00:00.000Z"
    seed = {
        "contacts": {
            "old": {"id": "old", "type": "Ephemeral", "firstName": "Old", "version": 1,
                    "createDate": old, "lastInteractionDate": old},
            "kept": {"id": "kept", "type": "Curated", "firstName": "Kept", "lastName": "K",
                     "version": 1, "createDate": old},
        }
    }  # fmt: skip
    (folder / "seed.json").write_text(json.dumps(seed), encoding="utf-8")


def test_expire_removes_old_ephemeral_contacts(run: Runner, config: Path) -> None:
    _seed_old_ephemeral(config.parent)
    result = run("expire")
    assert result.code == EXIT_OK, result.err
    assert "Removed 1 expired ephemeral contact." in result.out
    assert run("--json", "expire").json() == {"removed": [], "count": 0}
    assert [c["id"] for c in run("--json", "contact", "list").json()] == ["kept"]


def test_expire_needs_the_admin_permission(run: Runner, tmp_path: Path) -> None:
    agent_config = write_config(tmp_path / "agent", role="agent")
    assert run("expire", config_path=agent_config).code == EXIT_PERMISSION


def test_doctor_on_a_healthy_store(run: Runner) -> None:
    assert run("contact", "list").code == EXIT_OK  # creates the store
    result = run("doctor")
    assert result.code == EXIT_OK, result.out + result.err
    assert result.out.startswith("ok: ")
    assert "error:" not in result.out
    findings = run("--json", "doctor").json()
    assert all(set(f) == {"level", "message"} for f in findings)
    assert {f["level"] for f in findings} <= {"ok", "warning"}


def test_doctor_reports_a_corrupt_store(
    run: Runner, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # --repair refuses root (tests/hostile/test_store_files.py); here it runs as a user would.
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    store = config.parent / "store.json"
    store.write_text("{not json", encoding="utf-8")
    result = run("doctor")
    assert result.code == EXIT_UNREADABLE
    assert "error: " in result.out
    assert str(store) in result.out
    assert store.read_text(encoding="utf-8") == "{not json"
    assert run("doctor", "--repair").code == EXIT_UNREADABLE
    assert store.read_text(encoding="utf-8") == "{not json"


def test_doctor_never_creates_a_store(run: Runner, config: Path) -> None:
    result = run("doctor")
    assert result.code == EXIT_UNREADABLE
    assert "does not exist" in result.out
    assert not (config.parent / "store.json").exists()
