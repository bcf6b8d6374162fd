"""`memo invite`: the letter with the product gift, addressed to the distributor's company."""

from __future__ import annotations

from pathlib import Path

from docx import Document
from typer.testing import CliRunner

from pipeline.cli.main import app
from tests.conftest import SAMPLES


def text_of(path: Path) -> str:
    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def test_invitation_addresses_the_company_and_invites_the_people_met(
    drafted: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "invitation.docx"
    company = SAMPLES / "company.zh-hant.toml"
    result = CliRunner().invoke(
        app, ["invite", str(drafted["zh-Hant"]), "-o", str(out), "--company-file", str(company)]
    )
    assert result.exit_code == 0, result.output
    text = text_of(out)
    assert "致：新安寵物 (會中聽到" in text  # the company, as heard: for the rep to check
    assert "李經理" in text  # the person met
    assert (
        "山嵐 貓主食罐綜合禮盒" in text and "南投縣草屯鎮" in text
    )  # gift and factory, from the company file
    assert "建議參訪日期：【待業務填寫】" in text  # the dates are the rep's


def test_the_distributor_given_wins_and_english_reads_as_a_letter(
    drafted: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "invitation.docx"
    result = CliRunner().invoke(app, [
        "invite", str(drafted["en"]), "-o", str(out), "--company-file", str(SAMPLES / "company.toml"),
        "--distributor", "Prairie Line Plumbing Supply", "--rep", "Laura Jensen",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    text = text_of(out)
    assert "To: Prairie Line Plumbing Supply\n" in text
    assert "Three-stage under-sink filter, counter display unit × 2" in text
    assert "Grand Rapids" in text and "Laura Jensen" in text and "Bluecrest Water Systems" in text
    assert "{{" not in text


def test_without_a_company_file_the_gift_is_marked(drafted: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "i.docx"
    result = CliRunner().invoke(app, ["invite", str(drafted["en"]), "-o", str(out)])
    assert result.exit_code == 0
    assert "NO COMPANY FILE" in text_of(out)
