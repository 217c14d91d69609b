"""An agent's own key bindings from keys.toml."""

from __future__ import annotations

from pathlib import Path

from contact_tui.domain.model import Permission
from contact_tui.ui.app import ContactApp
from contact_tui.ui.keys import load_keymap
from contact_tui.ui.screens.directory import DirectoryScreen
from tests.factories import AGENT, World
from tests.ui.pilot import main_screen, settle, store_open, text_of, wait_until


def test_a_keys_file_maps_binding_ids_to_keys(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    path.write_text('[keys]\n"main.directory" = "f6"\n', encoding="utf-8")
    assert load_keymap(path) == ({"main.directory": "f6"}, "")


def test_a_broken_keys_file_is_reported_and_ignored(tmp_path: Path) -> None:
    path = tmp_path / "keys.toml"
    path.write_text("[keys\n", encoding="utf-8")
    keymap, problem = load_keymap(path)
    assert keymap == {} and str(path) in problem
    path.write_text('[keys]\n"main.edit" = 6\n', encoding="utf-8")
    assert load_keymap(path)[0] == {}


def test_a_missing_keys_file_means_the_defaults(tmp_path: Path) -> None:
    assert load_keymap(tmp_path / "nope.toml") == ({}, "")


async def test_a_rebound_key_runs_the_action(world: World) -> None:
    app = ContactApp(
        lambda: world.service(AGENT),
        clock=world.clock,
        cursor_blink=False,
        keymap={"main.directory": "f6"},
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: store_open(pilot), "the store")
        await settle(pilot)
        await pilot.press("d")  # the default key no longer opens it
        await settle(pilot)
        assert not isinstance(pilot.app.screen, DirectoryScreen)
        await pilot.press("f6")
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, DirectoryScreen), "the directory"
        )


async def test_a_rebound_forbidden_key_says_why_and_the_profile_names_the_agents_keys(
    world: World, told: list[str]
) -> None:
    app = ContactApp(
        lambda: world.service(AGENT, Permission.VIEW),
        clock=world.clock,
        cursor_blink=False,
        keymap={"main.new_contact": "f3", "main.link": "f5"},
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: store_open(pilot), "the store")
        await settle(pilot)
        await pilot.press("f3")  # a viewer's Create New Contact, on the agent's own key
        await settle(pilot)
        assert any(Permission.ADD.value in m and "ask your admin" in m for m in told), told
        assert isinstance(pilot.app.screen, type(main_screen(pilot)))

        await pilot.press("u")  # the newest interaction, now with no contact
        await wait_until(
            pilot,
            lambda: "No contact is linked" in text_of(pilot, "#profile-name"),
            "the unlink",
        )
        assert text_of(pilot, "#profile-details") == "Press f5 to link one from the directory."
