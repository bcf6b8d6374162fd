"""Run store: created by Alembic migrations, one run per attempt, segments queryable for the audit view."""

from __future__ import annotations

import subprocess
import sys
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


def test_a_new_store_is_migrated_to_head_and_reopens(store_url: str) -> None:
    Store(store_url).close()
    store = Store(store_url)
    with store.engine.connect() as conn:
        version = conn.execute(sa.text("select version_num from alembic_version")).scalar_one()
        tables = set(sa.inspect(conn).get_table_names())
    assert version == head_revision()
    assert {"recordings", "runs", "transcripts", "segments", "notes", "memos", "claims"} <= tables
    store.close()


def test_a_finished_run_stores_settings_transcript_segments_notes_and_memo(
    store_url: str, tmp_path: Path
) -> None:
    store = Store(store_url)
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
    store.close()


def test_an_unfinished_run_is_taken_over_not_duplicated(store_url: str, tmp_path: Path) -> None:
    store = Store(store_url)
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
    store.close()


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


def test_processes_starting_runs_of_the_same_new_recordings_all_go_on(store_url: str) -> None:
    race_start_runs(store_url)


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


def test_two_batches_over_the_same_new_recordings_both_finish(store_url: str, tmp_path: Path) -> None:
    url = store_url
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
def postgres_urls(postgres_server: str) -> Iterator[list[str]]:
    """``ROUNDS`` new, empty PostgreSQL databases (tests/pg.py), dropped afterwards."""
    from tests import pg

    urls = [pg.create_database(postgres_server) for _ in range(ROUNDS)]
    yield urls
    for url in urls:
        pg.drop_database(postgres_server, url)


def test_processes_opening_a_new_postgresql_store_at_once_all_succeed(postgres_urls: list[str]) -> None:
    outcomes = race.run_together(race.open_store, 3, postgres_urls)
    assert [outcome for _url, outcome in outcomes if outcome != "ok"] == []
    for url in postgres_urls:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            versions = conn.execute(sa.text("select version_num from alembic_version")).scalars().all()
        engine.dispose()
        assert versions == [head_revision()]


def test_a_current_store_opens_without_alembic(tmp_path: Path) -> None:
    from pipeline.runs.store import _newest_revision

    assert _newest_revision() == head_revision()  # migrations are named by their revision
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    Store(url).close()
    code = (
        f"import sys; from pipeline.runs.store import Store; Store({url!r}).close(); "
        "print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_store_from_a_newer_version_is_a_store_error_not_a_traceback(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    Store(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # as a later meeting-memo, with one more migration, leaves it
        conn.execute(sa.text("update alembic_version set version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"schema revision 9999 .* newer meeting-memo.*another --db"):
        Store(url)


# -- the audit page's queries, on each database ---------------------------------------------------


def test_the_audit_pages_filters_and_search_find_the_same_meetings_on_each_database(
    store_url: str, tmp_path: Path
) -> None:
    from pipeline.audit.store import AuditStore
    from tests.test_audit import build_store

    store, ids = build_store(tmp_path, store_url)
    audit = AuditStore(store)

    def found(**filters: str) -> set[int]:
        return {m.recording_id for m in audit.meetings(**filters)}

    assert found() == set(ids.values())
    assert found(rep="Bob") == {ids["bob"]}
    assert found(language="zh") == {ids["alice_zh"]}
    assert found(date_from="2025-03-05", date_to="2025-03-31") == {ids["alice_zh"]}
    assert found(search="plumbing") == {ids["alice_en"], ids["bob"]}
    assert found(search="兩個倉庫") == {ids["alice_zh"]}  # SQLite: FTS5 trigram; PostgreSQL: ILIKE
    assert found(search="两个仓库") == {ids["alice_zh"]}  # the other script
    assert found(search="倉庫") == {ids["alice_zh"]}  # under three characters
    assert found(search="100%") == set()  # LIKE's wildcards are text
    assert found(search='"; DROP TABLE segments; --') == set()
    meeting = audit.meeting(ids["alice_en"])
    assert meeting is not None
    audit.update_segment(meeting, 1, "boss", text="We supply about 400 contractors from Cheyenne.")
    assert found(search="Cheyenne") == {ids["alice_en"]}
    store.close()


# -- claims (a week shared by several cluster drivers) --------------------------------------------


def test_one_driver_wins_a_claim_and_a_dead_drivers_claim_is_taken_over(store_url: str) -> None:
    import datetime as dt

    from pipeline.runs.claims import Claim, Claims, new_owner

    store = Store(store_url)
    sha = "cd" * 32
    first = Claims(store, new_owner())
    second = Claims(store, new_owner())
    assert first.take(sha, "k") == Claim(sha, "k")
    held = second.take(sha, "k")
    assert isinstance(held, str) and "another driver" in held
    dead = Claims(store, "elsewhere:1:gone", lease_s=-1)  # a driver on another machine, lease over
    assert dead.take("ef" * 32, "k") == Claim("ef" * 32, "k")
    assert first.take("ef" * 32, "k") == Claim("ef" * 32, "k")
    assert first.hand_over(Claim(sha, "k"), run_id=_run(store, sha)) == 1
    first.finish(Claim(sha, "k"), "done")
    late = Claims(store, new_owner(), since=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
    done_meanwhile = late.take(sha, "k")
    assert isinstance(done_meanwhile, str) and "drafted meanwhile" in done_meanwhile
    assert Claims(store, new_owner()).take(sha, "k") == Claim(sha, "k")  # done before it began
    store.close()


def _run(store: Store, sha: str) -> int:
    rec = Recording(sha, Path("/in/m.wav"), 10)
    return store.start_run(rec, command="batch", settings={"a": 1}, memo_path=Path("/out/m.memo.docx"))
