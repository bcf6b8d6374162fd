"""The follow-up ledger: steps per distributor, what is due, .ics and CSV exports, the audit page's view."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from pipeline.cli.main import app
from pipeline.config import FollowupSettings
from pipeline.errors import LedgerError
from pipeline.runs.ledger import Ledger, add_working_days, next_due
from pipeline.runs.store import Store
from tests.test_audit import client_for, login

DEFAULT = FollowupSettings()


@pytest.fixture
def ledger(tmp_path: Path) -> Any:
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    yield Ledger(store)
    store.close()


def test_working_days_skip_the_weekend() -> None:
    friday = dt.date(2025, 3, 7)
    assert add_working_days(friday, 2) == dt.date(2025, 3, 11)


def test_the_memo_is_due_two_working_days_after_the_meeting(ledger: Ledger) -> None:
    ledger.mark("Prairie Line", "meeting", "2025-03-07", rep="Laura")
    assert ledger.due(DEFAULT, dt.date(2025, 3, 10)) == []  # Monday: not yet
    (due,) = ledger.due(DEFAULT, dt.date(2025, 3, 11))
    assert (due.distributor, due.step, due.due) == ("Prairie Line", "memo_sent", dt.date(2025, 3, 11))


def test_each_step_moves_the_next_one_and_a_decision_closes_it(ledger: Ledger) -> None:
    ledger.mark("Prairie Line", "meeting", "2025-03-03", rep="Laura")
    entry = ledger.mark("prairie  LINE", "memo-sent", "2025-03-04", courier="UPS", tracking="1Z999")
    assert entry.step("memo_sent") is not None and entry.step("memo_sent").tracking == "1Z999"  # type: ignore[union-attr]
    assert next_due(entry, DEFAULT).step == "proposal_sent"  # type: ignore[union-attr]
    entry = ledger.mark("Prairie Line", "proposal_sent", "2025-03-20")
    due = next_due(entry, FollowupSettings(decision_days=10))
    assert (due.step, due.due) == ("gift_sent", dt.date(2025, 3, 30))  # type: ignore[union-attr]
    entry = ledger.mark("Prairie Line", "contract_signed", "2025-04-02", note="two-year contract")
    assert next_due(entry, DEFAULT) is None
    assert len(ledger.entries()) == 1  # one row per company, whatever the spelling


def test_names_match_across_chinese_scripts(ledger: Ledger) -> None:
    ledger.mark("新安寵物", "meeting", "2025-03-03", rep="陳怡君")
    entry = ledger.mark("新安宠物", "memo_sent", "2025-03-04")
    assert entry.name == "新安寵物" and [s.step for s in entry.steps] == ["meeting", "memo_sent"]


def test_bad_steps_and_dates_are_refused(ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="expected one of"):
        ledger.mark("X", "lunch", "2025-03-03", rep="R")
    with pytest.raises(LedgerError, match="YYYY-MM-DD"):
        ledger.mark("X", "meeting", "3/3/2025", rep="R")
    with pytest.raises(LedgerError, match="--rep"):
        ledger.mark("New Co", "meeting", "2025-03-03")


def _cli(*args: str) -> Any:
    return CliRunner().invoke(app, ["followup", *args])


def test_followup_lists_due_steps_and_exports_ics_and_csv(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    assert (
        _cli(
            "mark", "Prairie Line", "meeting", "--date", "2025-03-03", "--rep", "Laura", "--db", db
        ).exit_code
        == 0
    )
    assert (
        _cli("mark", "新安寵物", "meeting", "--date", "2025-03-06", "--rep", "陳怡君", "--db", db).exit_code
        == 0
    )
    sent = _cli(
        "mark", "新安寵物", "memo-sent", "--date", "2025-03-07", "--courier", "黑貓宅急便", "--db", db
    )
    assert sent.exit_code == 0, sent.output
    ics, out_csv = tmp_path / "due.ics", tmp_path / "due.csv"
    result = _cli("--db", db, "--today", "2025-03-25", "--ics", str(ics), "--csv", str(out_csv))
    assert result.exit_code == 0, result.output
    assert "Prairie Line  (Laura): send the memo" in result.stdout
    assert "新安寵物  (陳怡君): send the cooperation proposal" in result.stdout

    todos = Calendar.from_ical(ics.read_bytes()).walk("VTODO")
    assert {str(t["summary"]).split(":")[0] for t in todos} == {"Prairie Line", "新安寵物"}
    due = {str(t["summary"]).split(":")[0]: t.decoded("due") for t in todos}
    assert due == {"Prairie Line": dt.date(2025, 3, 5), "新安寵物": dt.date(2025, 3, 21)}
    assert all(t.get("uid") for t in todos)

    rows = list(csv.DictReader(io.StringIO(out_csv.read_text("utf-8"))))
    assert [(r["distributor"], r["step"], r["due"]) for r in rows] == [
        ("Prairie Line", "memo_sent", "2025-03-05"),
        ("新安寵物", "proposal_sent", "2025-03-21"),
    ]
    assert rows[0]["days_overdue"] == "20"


def test_intervals_come_from_memo_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    (tmp_path / "config" / "meeting-memo").mkdir(parents=True)
    (tmp_path / "config" / "meeting-memo" / "memo.toml").write_text("[followup]\nmemo_working_days = 5\n")
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    _cli("mark", "Prairie Line", "meeting", "--date", "2025-03-03", "--rep", "Laura", "--db", db)
    assert "nothing due" in _cli("--db", db, "--today", "2025-03-07").stdout
    assert "Prairie Line" in _cli("--db", db, "--today", "2025-03-10").stdout
    (tmp_path / "config" / "meeting-memo" / "memo.toml").write_text("[followup]\nmemo_days = 5\n")
    bad = _cli("--db", db)
    assert bad.exit_code == 1 and "unknown followup setting 'memo_days'" in bad.output


def test_a_bad_step_is_one_line_before_the_store_is_opened(tmp_path: Path) -> None:
    result = _cli("mark", "X", "lunch", "--db", f"sqlite:///{tmp_path / 'never.sqlite'}")
    assert result.exit_code == 1 and result.output.startswith("error: step 'lunch'")
    assert not (tmp_path / "never.sqlite").exists()


def test_drafted_meetings_enter_the_ledger(world: tuple[Store, dict[str, int]]) -> None:
    store, _ids = world
    ledger = Ledger(store)
    assert ledger.add_meetings() == 3
    assert ledger.add_meetings() == 0
    by_name = {e.name: e for e in ledger.entries()}
    assert by_name["Prairie Line"].rep == "Alice" and by_name["Prairie Line"].steps[0].date == "2025-03-03"


def test_audit_page_supervisor_sees_every_ledger_rep_only_their_own(
    world: tuple[Store, dict[str, int]],
) -> None:
    store, _ids = world
    ledger = Ledger(store)
    ledger.add_meetings()
    ledger.mark("Prairie Line", "memo_sent", "2025-03-04", courier="UPS", tracking="1Z999")

    boss = client_for(store)
    login(boss, "boss")
    page = boss.get("/followup")
    assert page.status_code == 200
    assert "Prairie Line" in page.text and "高雄水電行" in page.text
    assert "Bob&#39;s &lt;b&gt;Pumps&lt;/b&gt;" in page.text  # escaped, never markup
    assert "2025-03-04" in page.text and "send the cooperation proposal" in page.text

    alice = client_for(store)
    login(alice, "alice")
    page = alice.get("/followup")
    assert "Prairie Line" in page.text and "高雄水電行" in page.text
    assert "Pumps" not in page.text

    anonymous = client_for(store).get("/followup", follow_redirects=False)
    assert anonymous.status_code == 303
