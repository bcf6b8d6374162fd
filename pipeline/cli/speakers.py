"""``memo enroll``: the rep's voice, so drafts can tell the rep from the distributor."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from . import common


def enroll(
    name: Annotated[str, typer.Argument(help="The rep's name, as given to `memo draft --rep`.")],
    recording: Annotated[Path, typer.Argument(help="20–60 s of the rep speaking alone (any format).")],
) -> None:
    """Enroll the rep's voice once, so `memo draft` can tell the rep from the distributor.

    Stored under the user's data folder (or $MEMO_DATA_DIR); enrolling the same name again
    replaces it. Needs the speakers extra: pip install 'meeting-memo[speakers]'.
    """

    def go() -> None:
        from ..speakers import enroll as do_enroll

        enrollment, path = do_enroll(name, recording)
        typer.echo(f"{path}  ({enrollment.name}: {enrollment.speech_s:.0f} s of speech)")

    common.run(go)


def register(app: typer.Typer) -> None:
    """Add this command to ``app``."""
    app.command()(enroll)
