"""Run store: created by Alembic migrations, one run per attempt, segments queryable for the audit view."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipeline.asr.audio import file_sha256
from pipeline.draft import DraftOptions
from pipeline.errors import StoreError
from pipeline.runs.batch import BatchOptions, run_batch
from pipeline.runs.store import (
    Recording,
    Store,
    memos,
    notes_table,
    recordings,
    runs,
    segments,
    transcripts,
)
from tests import race
from tests.test_batch import FakeDraft
from tests.test_batch import recordings as recording_files


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
    inputs = recording_files(tmp_path / "in", 1)
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


# -- several processes at once (tests/race.py) ----------------------------------------------------

ROUNDS = 6


def test_processes_opening_a_new_store_at_once_all_succeed_at_head(tmp_path: Path) -> None:
    urls = [f"sqlite:///{tmp_path / f'round{n}' / 'runs.sqlite'}" for n in range(ROUNDS)]
    outcomes = race.run_together(race.open_store, 3, urls)
    failures = [f"{url}: {outcome}" for url, outcome in outcomes if outcome != "ok"]
    assert not failures, "\n".join(failures)
    for url in urls:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            versions = conn.execute(sa.text("select version_num from alembic_version")).scalars().all()
        engine.dispose()
        assert versions == [head_revision()]


def test_processes_starting_runs_of_the_same_new_recordings_all_go_on(tmp_path: Path) -> None:
    race_start_runs(f"sqlite:///{tmp_path / 'runs.sqlite'}")


def race_start_runs(url: str) -> None:
    """Two processes start runs of the same 20 new recordings, round after round, in one store."""
    Store(url).close()
    rounds = [(url, [f"{n:02d}{k:062x}" for k in range(20)]) for n in range(ROUNDS)]
    outcomes = race.run_together(race.start_runs, 2, rounds)
    assert [ids for _url, ids in outcomes if isinstance(ids, str)] == []
    store = Store(url)
    with store.engine.connect() as conn:
        shas = conn.execute(sa.select(recordings.c.sha256)).scalars().all()
    assert sorted(shas) == sorted(sha for _url, round_shas in rounds for sha in round_shas)
    for sha in shas:
        assert [r.status for r in store.runs_of(sha)] in (["running"], ["running", "running"])
    store.close()


def test_two_batches_over_the_same_new_recordings_both_finish(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    Store(url).close()
    rounds = [
        (url, [str(p) for p in recording_files(tmp_path / f"in{n}", 4)], str(tmp_path / f"out{n}"))
        for n in range(ROUNDS)
    ]
    outcomes = race.run_together(race.batch, 2, rounds)
    assert [status for _url, status in outcomes if isinstance(status, str)] == []
    assert all(set(status) <= {"done", "skipped"} for _url, status in outcomes)
    store = Store(url)
    shas = {file_sha256(Path(path)) for _url, inputs, _out in rounds for path in inputs}
    assert store.count(recordings) == len(shas)
    for sha in shas:
        assert "done" in [r.status for r in store.runs_of(sha)]


@pytest.fixture
def postgres_urls() -> Iterator[list[str]]:
    """``ROUNDS`` new, empty PostgreSQL databases, dropped afterwards.

    Only where ``MEMO_TEST_POSTGRES_URL`` names a server and a user who may create databases
    (e.g. ``postgresql+psycopg://memo@127.0.0.1/postgres``), and psycopg is installed.
    """
    server = os.environ.get("MEMO_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("set MEMO_TEST_POSTGRES_URL to run the PostgreSQL store tests")
    pytest.importorskip("psycopg")
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    names = [f"memo_race_{uuid.uuid4().hex[:8]}_{n}" for n in range(ROUNDS)]
    with admin.connect() as conn:
        for name in names:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
    try:
        yield [sa.engine.make_url(server).set(database=name).render_as_string(False) for name in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def test_processes_opening_a_new_postgresql_store_at_once_all_succeed(postgres_urls: list[str]) -> None:
    outcomes = race.run_together(race.open_store, 3, postgres_urls)
    assert [outcome for _url, outcome in outcomes if outcome != "ok"] == []
    for url in postgres_urls:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            versions = conn.execute(sa.text("select version_num from alembic_version")).scalars().all()
        engine.dispose()
        assert versions == [head_revision()]


def test_processes_starting_runs_on_postgresql_all_go_on(postgres_urls: list[str]) -> None:
    race_start_runs(postgres_urls[0])


def test_a_store_from_a_newer_version_is_a_store_error_not_a_traceback(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    Store(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # as a later meeting-memo, with one more migration, leaves it
        conn.execute(sa.text("update alembic_version set version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"schema revision 9999 .* newer meeting-memo.*another --db"):
        Store(url)
