"""Commands of the `memo` CLI: memo enroll (speaker labels).

Kept apart from `cli.py` so each feature's commands live with their own tests;
heavy imports stay inside the command functions (`memo --help` must stay fast).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def enroll(
    name: Annotated[str, typer.Argument(help="The rep's name, as given to `memo draft --rep`.")],
    recording: Annotated[Path, typer.Argument(help="20–60 s of the rep speaking alone (any format).")],
) -> None:
    """Enroll the rep's voice once, so `memo draft` can tell the rep from the distributor.

    Stored under the user's data folder (or $MEMO_DATA_DIR); enrolling the same name again
    replaces it. Needs the speakers extra: pip install 'meeting-memo[speakers]'.
    """
    from .cli import _run

    def run() -> None:
        from .speakers import enroll as do_enroll

        enrollment, path = do_enroll(name, recording)
        typer.echo(f"{path}  ({enrollment.name}: {enrollment.speech_s:.0f} s of speech)")

    _run(run)


def register(app: typer.Typer) -> None:
    """Add this feature's commands to `app`."""
    app.command()(enroll)
