"""One run of ``contact-tui``: the parsed arguments, the output, and the config and service,
each opened only when a command first needs it."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from contact_tui.bootstrap import open_service
from contact_tui.cli.output import Output
from contact_tui.config import Config, load_config
from contact_tui.service import ContactService


@dataclass
class Context:
    """One run of the command: its arguments and output, and the config and service it opens
    only when a subcommand needs them (doctor must work when the store cannot be opened)."""

    args: argparse.Namespace
    out: Output
    _config: Config | None = field(default=None, init=False)
    _service: ContactService | None = field(default=None, init=False)

    def config(self) -> Config:
        """The admin config in force (the system config wins over --config)."""
        if self._config is None:
            # Absolute, so the store path derived from it and every message stay right
            # whatever folder the command runs in.
            chosen = Path(self.args.config).expanduser().absolute() if self.args.config else None
            self._config = load_config(chosen)
        return self._config

    def loaded_config(self) -> Config | None:
        """The config if a command has loaded it, else None (for messages after a failure)."""
        return self._config

    def service(self) -> ContactService:
        """The service over the configured store, opened on first use."""
        if self._service is None:
            self._service = open_service(self.config())
        return self._service

    def close(self) -> None:
        """Release the store's file handles."""
        if self._service is not None:
            self._service.close()
