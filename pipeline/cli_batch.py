"""Commands of the `memo` CLI: memo batch, memo watch, memo config (drop folder, week batch, run records).

Kept apart from `cli.py` so each feature's commands live with their own tests;
heavy imports stay inside the command functions (`memo --help` must stay fast).
Settings come from `memo.toml` files (see `pipeline.config`); a flag given on the
command line wins over them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import click
import typer

if TYPE_CHECKING:
    from rich.console import Console

    from .batch import BatchOptions, Event, Item
    from .config import Settings

# CLI parameter -> setting it overrides.
FLAGS = {
    "rep": "rep",
    "company": "company",
    "language": "language",
    "script": "script",
    "model": "model",
    "rep_speaker": "rep_label",
    "templates": "templates",
    "glossary": "glossary",
    "outdir": "outbox",
    "db": "database",
}

OutdirOpt = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional on Python 3.10
    typer.Option("--outdir", "-o", help="Folder for memos and the roll-up; default: the config's outbox."),
]
DbOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--db", help="Run store: an SQLite file or a database URL; default: the config's."),
]
LanguageOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--language", "-l", help="zh or en; default: detect between the two."),
]
ScriptOpt = Annotated[str, typer.Option("--script", help="Chinese output: hant (Traditional) or hans.")]
ModelOpt = Annotated[str, typer.Option("--model", "-m", help="'base' (embedded) or a model name/dir.")]
RepOpt = Annotated[str, typer.Option(help="Rep's name for the memo header and the roll-up.")]
CompanyOpt = Annotated[str, typer.Option(help="Your company's name for the memo header.")]
DistributorOpt = Annotated[str, typer.Option(help="Distributor company for the memo header.")]
RepSpeakerOpt = Annotated[str, typer.Option("--rep-speaker", help="Speaker label of the rep.")]
TemplatesOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(help="Folder with restyled memo templates."),
]
GlossaryOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option("--glossary", "-g", help="A name the model should know (repeatable)."),
]


def configured(ctx: typer.Context, inbox: Path | None = None) -> Settings:
    """The effective settings: config files, then every flag given on the command line."""
    from .config import load_settings

    given = {}
    for param, name in FLAGS.items():
        if param not in ctx.params:
            continue
        source = ctx.get_parameter_source(param)
        value = ctx.params[param]
        if source not in (click.core.ParameterSource.DEFAULT, click.core.ParameterSource.DEFAULT_MAP):
            given[name] = value
    return load_settings(inbox=inbox, overrides=given)


def settings_or_exit(ctx: typer.Context, inbox: Path | None = None) -> Settings:
    """``configured``, with a bad ``memo.toml`` turned into the CLI's one-line error."""
    from .cli import _fail, _state
    from .errors import MemoError

    try:
        return configured(ctx, inbox)
    except MemoError as e:
        if _state["debug"]:
            raise
        raise _fail(str(e)) from None


def draft_options(settings: Settings, outdir: Path | None, distributor: str = "") -> Any:
    """``DraftOptions`` from effective settings."""
    from .draft import DraftOptions
    from .notes import NotesOptions
    from .render import MemoDetails
    from .transcribe import TranscribeOptions

    return DraftOptions(
        transcribe=TranscribeOptions(
            model=settings.model,
            language=settings.language,  # type: ignore[arg-type]
            script=settings.script,  # type: ignore[arg-type]
            glossary=settings.glossary,
        ),
        notes=NotesOptions(rep_speaker=settings.rep_label or None),
        details=MemoDetails(rep=settings.rep, company=settings.company, distributor=distributor),
        outdir=outdir,
        template_dir=settings.templates,
    )


def _console() -> Console:
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True, highlight=False)


def _item_line(item: Item) -> tuple[str, str]:
    from .render import clock

    if item.status == "failed":
        return f"failed  {item.error}", "red"
    if item.status == "skipped":
        return f"skipped {item.source}  ({item.note}; memo {item.memo})", "dim"
    took = f" in {item.seconds:.0f} s" if item.seconds else ""
    note = f"; {item.note}" if item.note else ""
    return f"done    {item.memo}  ({clock(item.duration_s)} audio{took}{note})", ""


def _open_store(settings: Settings) -> Any:
    from .config import database_url
    from .store import Store

    return Store(database_url(settings))


def open_store_or_warn(settings: Settings) -> Any:
    """The run store, or ``None`` with a one-line warning: a store problem never stops drafting."""
    from .errors import MemoError

    try:
        return _open_store(settings)
    except MemoError as e:
        _console().print(f"warning: this run is not recorded: {e}", style="yellow", markup=False)
        return None


def _batch(
    inputs: list[str], options: BatchOptions, settings: Settings, rollup_dir: Path | None
) -> tuple[Any, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from .batch import Advanced, Finished, Planned, expand_inputs, rollup_rows, run_batch
    from .rollup import write_rollup

    paths = expand_inputs(inputs)
    console = _console()
    store = _open_store(settings)
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
            report = run_batch(paths, options, store, on_event)
        folder = rollup_dir or (Path(paths[0]).parent if paths else Path.cwd())
        rollup = write_rollup(rollup_rows(report, store, options.draft), folder)
    finally:
        store.close()
    return report, rollup


def _summary(report: Any, rollup: tuple[Path, Path]) -> None:
    from rich.table import Table

    from .render import clock

    table = Table(title="memo batch")
    for col in ("recording", "status", "audio", "seconds", "memo / reason"):
        table.add_column(col, justify="right" if col in ("audio", "seconds") else "left")
    for i in report.items:
        where = i.error or str(i.memo or "")
        table.add_row(str(i.source.name), i.status, clock(i.duration_s), f"{i.seconds:.0f}", where)
    console = _console()
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


def register(app: typer.Typer) -> None:
    """Add this feature's commands to `app`."""
    from .cli import _run

    @app.command()
    def batch(
        ctx: typer.Context,
        inputs: Annotated[
            list[str], typer.Argument(metavar="PATH_OR_GLOB...", help="Recordings, folders, globs.")
        ],
        outdir: OutdirOpt = None,
        workers: Annotated[int, typer.Option(help="Processes drafting at once (each loads the model).")] = 1,
        force: Annotated[bool, typer.Option(help="Draft again recordings already drafted.")] = False,
        db: DbOpt = None,
        language: LanguageOpt = None,
        script: ScriptOpt = "hant",
        model: ModelOpt = "base",
        rep: RepOpt = "",
        company: CompanyOpt = "",
        distributor: DistributorOpt = "",
        rep_speaker: RepSpeakerOpt = "rep",
        templates: TemplatesOpt = None,
        glossary: GlossaryOpt = None,
    ) -> None:
        """Draft a week of recordings, each once (resumable), with progress and a weekly roll-up.

        Recordings drafted before with the same settings are skipped unless --force. At the
        end: a summary table and memo-week-YYYY-Www.csv/.html in OUTDIR. Exit code 1 if any
        file failed.
        """
        from .batch import BatchOptions

        if workers < 1:
            raise typer.BadParameter("must be at least 1", param_hint="--workers")
        failed = 0

        def run() -> None:
            nonlocal failed
            settings = configured(ctx)
            options = BatchOptions(
                draft=draft_options(settings, settings.outbox, distributor), workers=workers, force=force
            )
            report, rollup = _batch(inputs, options, settings, settings.outbox)
            _summary(report, rollup)
            failed = report.failed

        _run(run)
        if failed:
            raise typer.Exit(1)

    @app.command()
    def watch(
        ctx: typer.Context,
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
        script: ScriptOpt = "hant",
        model: ModelOpt = "base",
        rep: RepOpt = "",
        company: CompanyOpt = "",
        rep_speaker: RepSpeakerOpt = "rep",
        templates: TemplatesOpt = None,
        glossary: GlossaryOpt = None,
    ) -> None:
        """Watch a drop folder: draft each new recording once, into OUTBOX (default INBOX/memos/).

        Stops on Ctrl-C or SIGTERM after the recording in progress (twice: at once, and that
        recording is redone next time).
        """

        def run() -> None:
            settings = configured(ctx, inbox)
            folder = inbox or settings.inbox
            if folder is None:
                raise _usage("give INBOX, or set inbox in memo.toml")
            if not folder.is_dir():
                raise _usage(f"{folder} is not a folder")
            _watch(folder, settings, poll, stable)

        _run(run)

    @app.command()
    def config(
        ctx: typer.Context,
        inbox: Annotated[
            Optional[Path],  # noqa: UP045
            typer.Option(help="Include this inbox's memo.toml."),
        ] = None,
        db: DbOpt = None,
    ) -> None:
        """Show the effective settings and where each came from (default, a memo.toml, a flag)."""

        def run() -> None:
            from .config import describe, user_config_file

            settings = configured(ctx, inbox)
            typer.echo(f"# user config file: {user_config_file()}")
            width = max(len(name) for name, _v, _s in describe(settings))
            for name, value, source in describe(settings):
                typer.echo(f"{name:<{width}}  {value}    ({source})")

        _run(run)


def _usage(message: str) -> Exception:
    from .config import ConfigError

    return ConfigError(message)


def _watch(inbox: Path, settings: Settings, poll: bool, stable: float) -> None:
    import signal
    import threading
    from dataclasses import replace

    from .batch import BatchOptions, Finished
    from .watch import Watcher, preload, watch_options

    options = watch_options(BatchOptions(draft=draft_options(settings, settings.outbox)), inbox)
    options = replace(options, stable_s=stable, polling=poll)
    console = _console()
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

    store = _open_store(settings)
    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        console.print(f"loading model {settings.model!r}…", markup=False)
        preload(options.batch)
        console.print(f"watching {inbox} → {options.batch.draft.outdir}  (Ctrl-C to stop)", markup=False)
        items = Watcher(inbox, options, store, on_event).run(stop)
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        store.close()
    done = sum(i.status == "done" for i in items)
    failed = sum(i.status == "failed" for i in items)
    console.print(f"stopped: {done} drafted, {failed} failed", markup=False)
