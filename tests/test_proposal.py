"""`memo proposal`: the five parts as Heading 1 sections, each with the meeting's evidence ([mm:ss])."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from docx import Document
from typer.testing import CliRunner

from pipeline.cli.main import app
from pipeline.followup.company import load_company
from pipeline.followup.document import TIME_TAG, blocks
from pipeline.followup.meeting import load_meeting
from pipeline.followup.proposal import write_proposal
from pipeline.script import is_in_script
from tests.conftest import SAMPLES

COMPANY = {"zh-Hant": SAMPLES / "company.zh-hant.toml", "zh-Hans": SAMPLES / "company.zh-hant.toml",
           "en": SAMPLES / "company.toml"}  # fmt: skip


def sections(path: Path) -> dict[int, str]:
    """The text under each Heading 1 (tables included), by section number; 0 is before the first."""
    found: dict[int, list[str]] = {}
    for b in blocks(Document(str(path))):
        found.setdefault(b.section, []).append(b.text)
    return {n: "\n".join(lines) for n, lines in found.items()}


def headings(path: Path) -> list[str]:
    return [b.text for b in blocks(Document(str(path))) if b.heading]


@pytest.mark.parametrize("key", ["zh-Hant", "en"])
def test_proposal_has_the_five_parts_with_evidence(
    drafted: dict[str, Path], key: str, tmp_path: Path
) -> None:
    out = tmp_path / "proposal.docx"
    result = CliRunner().invoke(
        app,
        [
            "proposal",
            str(drafted[key]),
            "-o",
            str(out),
            "--company-file",
            str(COMPANY[key]),
            "--rep",
            "陳怡君",
        ],
    )
    assert result.exit_code == 0, result.output
    assert len(headings(out)) == 5
    parts = sections(out)
    for n in (1, 2, 3, 4):
        assert TIME_TAG.search(parts[n]), f"part {n} quotes no evidence"
    if key == "en":
        assert "What's the market like out here?" in parts[1]  # market facts heard
        assert "plumbing contractors across Colorado" in parts[2]  # their business, as heard
        assert "Three-stage under-sink filter" in parts[2]  # next to our lines (company file)
        assert "Competitor products and prices" in parts[3] and "two hundred dollars" in parts[3]
        assert re.search(r"Timing\n.*launch before spring.*\[\d\d:\d\d\]", parts[4])
        assert re.search(r"First SKUs\n.*[Ll]ead with the cartridges", parts[4])
        assert "North Star Plumbing Supply" in parts[5] and "2019" in parts[5]
    else:
        assert "養貓的多還是養狗的多" in parts[1]
        assert "三百多家寵物店" in parts[2] and "山嵐 貓主食罐" in parts[2]
        assert "競品與價格" in parts[3] and "進口" in parts[3]
        assert re.search(r"上市時機\n.*過年前", parts[4]) and re.search(
            r"首批品項\n.*不要推太多口味", parts[4]
        )
        assert "中彰寵物用品行" in parts[5]
    # our own introduction is not taken for a competitor
    assert not any(w in parts[3] for w in ("Bluecrest started", "我司青嶺"))
    assert "{{" not in "".join(parts.values()) and "{%" not in "".join(parts.values())


def test_proposal_is_written_in_the_meetings_script(drafted: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "p.docx"
    write_proposal(load_meeting(drafted["zh-Hans"]), out, company=load_company(COMPANY["zh-Hans"]))
    text = "\n".join(sections(out).values())
    assert headings(out)[0].startswith("一、") and "养猫的多还是养狗的多" in text
    assert "山岚 猫主食罐" in text  # the company file, written in Traditional, follows the meeting's script
    assert is_in_script(text, "hans")


def test_without_a_company_file_part_5_is_clearly_marked(drafted: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "p.docx"
    result = CliRunner().invoke(app, ["proposal", str(drafted["en"]), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "NO COMPANY FILE" in sections(out)[5]
    assert "no company file" in result.output


def test_meeting_folder_and_default_output(drafted: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "memo"
    folder.mkdir()
    shutil.copy(drafted["en"], folder)
    result = CliRunner().invoke(app, ["proposal", str(folder)])
    assert result.exit_code == 0, result.output
    assert (folder / "en-meeting.proposal.docx").is_file()


def test_a_folder_without_notes_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["proposal", str(tmp_path)])
    assert result.exit_code == 1 and result.output.startswith("error:") and "memo draft" in result.output
