"""Run store: created by Alembic migrations, one run per attempt, segments queryable for the audit view."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from pipeline.draft import DraftOptions
from pipeline.runs.batch import BatchOptions, run_batch
from pipeline.runs.store import Recording, Store, memos, notes_table, runs, segments, transcripts
from tests.test_batch import FakeDraft, recordings


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import pipeline.runs.store

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(pipeline.runs.store.__file__).parent / "migrations"))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def test_a_new_store_is_migrated_to_head_and_reopens(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sub' / 'runs.sqlite'}"
    Store(url).close()
    store = Store(url)
    with store.engine.connect() as conn:
        version = conn.execute(sa.text("select version_num from alembic_version")).scalar_one()
        tables = set(sa.inspect(conn).get_table_names())
    assert version == head_revision()
    assert {"recordings", "runs", "transcripts", "segments", "notes", "memos"} <= tables


def test_a_finished_run_stores_settings_transcript_segments_notes_and_memo(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    inputs = recordings(tmp_path / "in", 1)
    run_batch(inputs, BatchOptions(draft=DraftOptions(outdir=tmp_path / "out")), store, draft_fn=FakeDraft())
    with store.engine.connect() as conn:
        run = conn.execute(sa.select(runs)).one()
        seg = conn.execute(sa.select(segments)).one()
        memo = conn.execute(sa.select(memos)).one()
        note = conn.execute(sa.select(notes_table)).one()
    assert run.status == "done" and run.settings["transcribe"]["model"] == "base"
    assert run.rules_version and run.versions["meeting-memo"]
    assert run.seconds is not None and run.finished_at is not None
    assert (seg.text, seg.speaker, seg.category, seg.words, seg.low_conf_words) == (
        "What terms?", "dist", "concerns", 2, 1,
    )  # fmt: skip
    assert memo.path.endswith("meeting0.memo.docx") and memo.parting_question == "What terms?"
    assert note.data["schema"] == "meeting-notes/1"
    assert store.count(transcripts) == 1


def test_an_unfinished_run_is_taken_over_not_duplicated(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'runs.sqlite'}")
    rec = Recording("ab" * 32, tmp_path / "m.wav", 10)
    first = store.start_run(rec, command="batch", settings={"a": 1}, memo_path=tmp_path / "m.memo.docx")
    again = store.start_run(rec, command="batch", settings={"a": 1}, memo_path=tmp_path / "m.memo.docx")
    other = store.start_run(rec, command="batch", settings={"a": 2}, memo_path=tmp_path / "m.memo.docx")
    assert first == again != other
    store.fail_run(first, "boom", 1.0)
    assert store.start_run(rec, command="watch", settings={"a": 1}, memo_path=tmp_path / "x") not in (
        first,
        other,
    )
    assert [r.status for r in store.runs_of("ab" * 32)] == ["failed", "running", "running"]
