"""An agent's own key bindings from keys.toml."""

from __future__ import annotations

from pathlib import Path

from contact_tui.ui.app import ContactApp
from contact_tui.ui.keys import load_keymap
from contact_tui.ui.screens.directory import DirectoryScreen
from tests.ui.conftest import AGENT, World, main_screen, settle, wait_until


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
        await wait_until(pilot, lambda: main_screen(pilot).service is not None, "the store")
        await settle(pilot)
        await pilot.press("d")  # the default key no longer opens it
        await settle(pilot)
        assert not isinstance(pilot.app.screen, DirectoryScreen)
        await pilot.press("f6")
        await wait_until(
            pilot, lambda: isinstance(pilot.app.screen, DirectoryScreen), "the directory"
        )
