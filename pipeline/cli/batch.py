"""``memo batch``, ``memo watch`` and ``memo config``: a week of recordings, a drop folder, settings.

Settings come from ``memo.toml`` files (see ``pipeline.config``); a flag given on the
command line wins over them. Heavy imports stay inside the functions (``memo --help``
must stay fast).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from . import common
from .common import (
    CompanyOpt,
    DbOpt,
    DistributorOpt,
    GlossaryOpt,
    InboxOpt,
    LanguageOpt,
    ModelOpt,
    OutdirOpt,
    RayOpt,
    RepOpt,
    RepSpeakerOpt,
    ScriptOpt,
    SequentialOpt,
    TemplatesOpt,
)

if TYPE_CHECKING:
    from ..config import Settings
    from ..runs.batch import BatchOptions, Event, Item


def _item_line(item: Item) -> tuple[str, str]:
    from ..memo.render import clock

    if item.status == "failed":
        return f"failed  {item.error}", "red"
    if item.status == "skipped":
        memo = f"; memo {item.memo}" if item.memo else ""  # none yet: another driver drafts it
        return f"skipped {item.source}  ({item.note}{memo})", "dim"
    took = f" in {item.seconds:.0f} s" if item.seconds else ""
    note = f"; {item.note}" if item.note else ""
    return f"done    {item.memo}  ({clock(item.duration_s)} audio{took}{note})", ""


def _batch(
    inputs: list[str], options: BatchOptions, settings: Settings, rollup_dir: Path | None, ray: str | None
) -> tuple[Any, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ..runs.batch import Advanced, Finished, Planned, expand_inputs, rollup_rows, run_batch
    from ..runs.rollup import write_rollup

    paths = expand_inputs(inputs)
    console = common.console()
    store = common.open_store(settings)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[hours]}"),
        TimeRemainingColumn(),
        console=console,
        disable=not console.is_terminal,
    )
    files = progress.add_task("files", total=len(paths), hours="")
    audio = progress.add_task("audio", total=None, hours="")
    state: dict[str, Any] = {"done_s": 0.0, "partial": {}}

    def show_audio() -> None:
        done = state["done_s"] + sum(state["partial"].values())
        total = progress.tasks[audio].total or 0.0
        progress.update(audio, completed=done, hours=f"{done / 3600:.2f} / {total / 3600:.2f} h audio")

    def on_event(event: Event) -> None:
        if isinstance(event, Planned):
            progress.update(audio, total=max(event.audio_s, 1.0))
        elif isinstance(event, Advanced):
            state["partial"][event.source] = event.done_s
        elif isinstance(event, Finished):
            item = event.item
            state["partial"].pop(item.source, None)
            if item.status == "done" and item.note != "recovered":
                state["done_s"] += item.duration_s
            else:  # not drafted now: out of the audio total, so the ETA follows real work
                total = (progress.tasks[audio].total or 0.0) - item.duration_s
                progress.update(audio, total=max(total, 1.0))
            progress.advance(files)
            line, style = _item_line(item)
            progress.console.print(line, style=style, markup=False)
        show_audio()

    try:
        with progress:
            if ray:
                from ..runs.cluster import ClusterOptions, run_cluster_batch

                _warn_sqlite(store.url, ray)
                report = run_cluster_batch(paths, ClusterOptions(options, ray), store, on_event)
            else:
                report = run_batch(paths, options, store, on_event)
        # Beside the recordings: the first that is there (a missing one's folder may not be).
        folder = rollup_dir or next((p.parent for p in paths if p.exists()), Path.cwd())
        rollup = write_rollup(rollup_rows(report, store, options.draft), folder)
    finally:
        store.close()
    return report, rollup


def _warn_sqlite(url: str, ray: str) -> None:
    from ..runs.cluster import LOCAL

    if url.startswith("sqlite:") and ray != LOCAL:
        common.console().print(
            "warning: the run store is an SQLite file: only actors on this machine can write it; "
            "with several machines give --db postgresql+psycopg://…",
            style="yellow", markup=False,
        )  # fmt: skip


def _summary(report: Any, rollup: tuple[Path, Path]) -> None:
    from rich.table import Table

    from ..memo.render import clock

    table = Table(title="memo batch")
    for col in ("recording", "status", "audio", "seconds", "memo / reason"):
        table.add_column(col, justify="right" if col in ("audio", "seconds") else "left")
    for i in report.items:
        where = i.error or str(i.memo or "")
        table.add_row(str(i.source.name), i.status, clock(i.duration_s), f"{i.seconds:.0f}", where)
    console = common.console()
    console.print(table)
    hours = report.drafted_audio_s / 3600
    rate = f"; {hours / (report.seconds / 3600):.1f} audio h per hour" if report.seconds and hours else ""
    counts = {s: sum(i.status == s for i in report.items) for s in ("done", "skipped", "failed")}
    console.print(
        f"{counts['done']} drafted, {counts['skipped']} skipped, {counts['failed']} failed "
        f"in {report.seconds:.0f} s{rate}",
        markup=False,
    )
    console.print(f"roll-up: {rollup[0]}  {rollup[1]}", markup=False)


def batch(
    inputs: Annotated[
        list[str], typer.Argument(metavar="PATH_OR_GLOB...", help="Recordings, folders, globs.")
    ],
    outdir: OutdirOpt = None,
    workers: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            min=1,
            help="Processes drafting at once (each loads the model); default one per core, as "
            "many as memory holds (1.5 GB each). With --ray: actors, default as many as the "
            "cluster's CPUs hold.",
        ),
    ] = None,
    threads: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            min=1,
            help="Threads each worker decodes with; default: the cores shared out (local), 1 "
            "(--ray, where it is also each actor's num_cpus).",
        ),
    ] = None,
    ray: RayOpt = None,
    force: Annotated[bool, typer.Option(help="Draft again recordings already drafted.")] = False,
    db: DbOpt = None,
    language: LanguageOpt = None,
    script: ScriptOpt = None,
    model: ModelOpt = None,
    rep: RepOpt = None,
    company: CompanyOpt = None,
    distributor: DistributorOpt = "",
    rep_speaker: RepSpeakerOpt = None,
    templates: TemplatesOpt = None,
    glossary: GlossaryOpt = None,
    sequential: SequentialOpt = None,
) -> None:
    """Draft a week of recordings, each once (resumable), with progress and a weekly roll-up.

    Recordings drafted before with the same settings are skipped unless --force. At the
    end: a summary table and memo-week-YYYY-Www.csv/.html in OUTDIR. Exit code 1 if any
    file failed.

    Example:  memo batch ~/Recordings/week49 --workers 2 --rep "Lin Mei"

    On a cluster:  memo batch /shared/week49 --ray head:6379 --db postgresql+psycopg://memo@db/memo
    """
    from dataclasses import replace

    from ..runs.batch import BatchOptions, default_workers

    cfg = common.settings(
        rep=rep, company=company, language=language, script=script, model=model,
        rep_speaker=rep_speaker, templates=templates, glossary=glossary, outdir=outdir, db=db,
        sequential=sequential,
    )  # fmt: skip
    draft = common.draft_options(cfg, cfg.outbox, distributor)
    if threads:
        draft = replace(draft, transcribe=replace(draft.transcribe, cpu_threads=threads))
    # With --ray, no --workers: as many actors as the cluster holds (0).
    options = BatchOptions(draft=draft, workers=workers or (0 if ray else default_workers()), force=force)
    report, rollup = common.run(lambda: _batch(inputs, options, cfg, cfg.outbox, ray))
    _summary(report, rollup)
    if report.failed:
        raise typer.Exit(1)


def watch(
    inbox: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Argument(help="The drop folder; default: the config's inbox."),
    ] = None,
    outdir: OutdirOpt = None,
    poll: Annotated[bool, typer.Option(help="Poll instead of file events (network shares).")] = False,
    stable: Annotated[
        float, typer.Option(help="Seconds a file must stay unchanged before it is read.")
    ] = 2.0,
    db: DbOpt = None,
    language: LanguageOpt = None,
    script: ScriptOpt = None,
    model: ModelOpt = None,
    rep: RepOpt = None,
    company: CompanyOpt = None,
    rep_speaker: RepSpeakerOpt = None,
    templates: TemplatesOpt = None,
    glossary: GlossaryOpt = None,
    sequential: SequentialOpt = None,
    ray: RayOpt = None,
) -> None:
    """Watch a drop folder: draft each new recording once, into OUTBOX (default INBOX/memos/).

    Stops on Ctrl-C or SIGTERM after the recording in progress (twice: at once, and that
    recording is redone next time). With --ray ADDRESS each settled recording is drafted
    on the cluster (one actor for this watcher), so many reps' inboxes feed one cluster.
    """
    cfg = common.settings(
        inbox, rep=rep, company=company, language=language, script=script, model=model,
        rep_speaker=rep_speaker, templates=templates, glossary=glossary, outdir=outdir, db=db,
        sequential=sequential,
    )  # fmt: skip
    folder = inbox or cfg.inbox
    if folder is None:
        raise common.fail("give INBOX, or set inbox in memo.toml")
    if not folder.is_dir():
        raise common.fail(f"{folder} is not a folder")
    common.run(lambda: _watch(folder, cfg, poll, stable, ray))


def config(inbox: InboxOpt = None, db: DbOpt = None) -> None:
    """Show the effective settings and where each came from (default, a memo.toml, a flag)."""
    from ..config import describe, user_config_file

    cfg = common.settings(inbox, db=db)
    typer.echo(f"# user config file: {user_config_file()}")
    rows = describe(cfg)
    width = max(len(name) for name, _v, _s in rows)
    for name, value, source in rows:
        typer.echo(f"{name:<{width}}  {value}    ({source})")


def _watch(inbox: Path, settings: Settings, poll: bool, stable: float, ray: str | None) -> None:
    import signal
    import threading
    from dataclasses import replace

    from ..outputs import check_folder
    from ..runs.batch import BatchOptions, Finished
    from ..runs.watch import Watcher, preload, watch_options

    options = watch_options(BatchOptions(draft=common.draft_options(settings, settings.outbox)), inbox)
    options = replace(options, stable_s=stable, polling=poll)
    if options.batch.draft.outdir is not None:  # before the model loads and the watching starts
        check_folder(options.batch.draft.outdir)
    console = common.console()
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        console.print("stopping after the recording in progress (Ctrl-C again: stop now)", style="yellow")

    def on_event(event: Event) -> None:
        if isinstance(event, Finished):
            line, style = _item_line(event.item)
            console.print(line, style=style, markup=False)

    store = common.open_store(settings)
    dispatcher = None
    try:
        if ray:
            from ..runs.cluster import ClusterOptions, Dispatcher

            _warn_sqlite(store.url, ray)
            console.print(f"joining the Ray cluster ({ray}), loading model {settings.model!r}…", markup=False)
            dispatcher = Dispatcher(ClusterOptions(replace(options.batch, workers=1), ray), store)
        else:
            console.print(f"loading model {settings.model!r}…", markup=False)
            preload(options.batch)
        # After ray.init, which sets its own SIGTERM handler.
        old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            console.print(f"watching {inbox} → {options.batch.draft.outdir}  (Ctrl-C to stop)", markup=False)
            drafter = dispatcher.draft if dispatcher else None
            items = Watcher(inbox, options, store, on_event, drafter=drafter).run(stop)
        finally:
            for s, handler in old.items():
                signal.signal(s, handler)
    finally:
        if dispatcher is not None:
            dispatcher.close()
        store.close()
    done = sum(i.status == "done" for i in items)
    failed = sum(i.status == "failed" for i in items)
    console.print(f"stopped: {done} drafted, {failed} failed", markup=False)


def register(app: typer.Typer) -> None:
    """Add these commands to ``app``."""
    for command in (batch, watch, config):
        app.command()(command)
