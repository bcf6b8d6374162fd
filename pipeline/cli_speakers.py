"""Commands of the `memo` CLI: memo enroll (speaker labels).

Kept apart from `cli.py` so each feature's commands live with their own tests;
heavy imports stay inside the command functions (`memo --help` must stay fast).
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this feature's commands to `app`."""
