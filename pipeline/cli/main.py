"""The ``memo`` command: a thin layer over the ``pipeline`` library.

Each command parses its options, calls one library function and prints; what they
share (options, settings, one-line errors, progress) is in ``common``. The commands
live in one module per feature and are added here, so nothing imports this module
back.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from . import audit, batch, common, draft, followup, speakers

app = typer.Typer(
    name="memo",
    help=(
        "Turn the recording of a first meeting with a distributor into a categorised "
        "memo draft (.docx), offline.\n\n"
        "Typical use:  memo draft meeting.m4a   (writes meeting.memo.docx beside it)"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show progress logs.")] = False,
) -> None:
    """Global options."""
    common.state["debug"] = debug
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


for _feature in (draft, batch, speakers, audit, followup):
    _feature.register(app)


def main() -> None:
    """Entry point of the ``memo`` console script."""
    app()


if __name__ == "__main__":
    main()
