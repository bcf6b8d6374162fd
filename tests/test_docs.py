"""The README documents every command, and its two commands exist in the Makefile and CI."""

from __future__ import annotations

import re

from typer.main import get_command

from pipeline.cli.main import app
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text("utf-8")


def test_every_command_is_in_the_readme() -> None:
    commands = get_command(app).commands  # type: ignore[attr-defined]
    for name in commands:
        assert f"memo {name}" in README, f"`memo {name}` is not documented in README.md"


def test_every_draft_option_is_in_the_readme() -> None:
    command = get_command(app).commands["draft"]  # type: ignore[attr-defined]
    for param in command.params:
        longest = max(param.opts, key=len)
        if longest.startswith("--"):
            assert longest in README, f"{longest} is not documented in README.md"


def test_readme_commands_are_make_targets() -> None:
    makefile = (ROOT / "Makefile").read_text("utf-8")
    for target in ("demo", "test"):
        assert f"    make {target}" in README
        assert re.search(rf"^{target}:", makefile, re.M)


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text("utf-8")
