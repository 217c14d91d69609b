"""The ``contact-tui`` command: a scriptable surface over the service the screen uses.

Admins, integrations and agents who prefer a shell get the same use cases, permission checks
and validation as the screen, because every subcommand calls :class:`ContactService` and
nothing below it. ``--json`` prints one JSON document per command, in the Genesys shape the
store keeps. The acting user and their permissions come only from the operating system and
the admin config: no flag can set them.

The package, one module per part: ``entry`` (``main``, errors to exit codes), ``exits`` (the
codes), ``parser`` (argparse, ``--values``), ``flags`` (contact fields as flags), ``output``
(JSON or text, made printable), ``render`` (contacts, interactions, audit as text),
``context`` (one run's config and service), and a module per command group: ``contact``,
``interaction``, ``exchange`` (import, export), ``admin`` (admin, expire, doctor), ``db``
(db init/grant/revoke and store copy: the database admin's), ``app``.

Exit codes (also printed by ``contact-tui --help``):

====  =====================================================================================
0     success
1     unexpected internal error (rerun with CONTACT_TUI_DEBUG=1 for a traceback)
2     invalid input or usage (a bad flag value, a rule a field breaks, a bad input file)
3     permission denied (your roles lack the permission the action needs)
4     conflict (the contact changed since the version you started from)
5     not found (no contact or interaction has that id)
6     store unreadable (a store file is damaged or cannot be read; see ``contact-tui doctor``)
7     store unavailable (busy lock, full disk, no write permission, missing folder, or the
      store's folder or files are not open to you: ask the admin to add you to its group)
8     config error (the admin config is missing, unreadable, not root's alone, or wrong), or a
      refusal to run where the user can be forged (inside a user namespace)
141   standard output was closed early (``contact-tui contact list | head``), as for SIGPIPE
====  =====================================================================================
"""

from __future__ import annotations

from contact_tui.cli.entry import main

__all__ = ["main"]
