"""What every ``memo`` command shares: options (each defined once), settings, errors, progress.

A library error (``MemoError``) becomes one line on stderr and exit code 1; a traceback is
shown only with ``--debug``. Choices are checked while the command line is parsed, so a
bad ``--script`` stops every command before any file is touched.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional, TypeVar

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from ..asr.options import TranscribeOptions
    from ..config import Settings
    from ..draft import DraftOptions

T = TypeVar("T")

state = {"debug": False}

LANGUAGES = ("zh", "en")
DECODINGS = ("sequential", "batched")
SCRIPTS = ("hant", "hans")


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` on stderr; the ``typer.Exit(1)`` to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(1)


def run(fn: Callable[[], T]) -> T:
    """Call ``fn``; turn a library error into one line and exit code 1."""
    from ..errors import MemoError

    try:
        return fn()
    except MemoError as e:
        if state["debug"]:
            raise
        raise fail(str(e)) from None
    except KeyboardInterrupt:
        raise fail("interrupted; outputs already written are complete, the rest were not started") from None


def _choice(name: str, choices: tuple[str, ...]) -> Callable[[str | None], str | None]:
    def check(value: str | None) -> str | None:
        if value is not None and value not in choices:
            raise fail(f"{name} {value!r} is not known; expected one of: {', '.join(choices)}")
        return value

    return check


# -- options shared by several commands; a value left out comes from memo.toml, then the default --

LanguageOpt = Annotated[
    Optional[str],  # noqa: UP045 - typer needs Optional on Python 3.10
    typer.Option(
        "--language", "-l", callback=_choice("language", LANGUAGES),
        help="zh or en; default: detect between the two.",
    ),
]  # fmt: skip
ScriptOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--script", callback=_choice("script", SCRIPTS),
        help="Chinese characters of the output: hant (Traditional, the default) or hans.",
    ),
]  # fmt: skip
ModelOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--model", "-m",
        help="'base' (embedded, the default), a faster-whisper size name already downloaded "
        "(small, large-v3…), or a CTranslate2 model directory.",
    ),
]  # fmt: skip
RepOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--rep", help="Rep's name for the memo header and the roll-up."),
]
CompanyOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--company", help="Your company's name for the memo header."),
]
DistributorOpt = Annotated[
    str, typer.Option("--distributor", help="Distributor company for the memo header.")
]
RepSpeakerOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--rep-speaker", help="Speaker label of the rep in transcripts (default: rep)."),
]
TemplatesOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--templates", help="Folder with restyled memo.<zh-Hant|zh-Hans|en>.docx templates."),
]
GlossaryOpt = Annotated[
    Optional[list[str]],  # noqa: UP045
    typer.Option("--glossary", "-g", help="A name the model should know (repeatable)."),
]
OutdirOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--outdir", "-o",
        help="Folder for the outputs; default: beside each input (draft), the config's outbox "
        "or the inputs' folder (batch), INBOX/memos (watch).",
    ),
]  # fmt: skip
DbOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--db", help="Run store: an SQLite file or a database URL; default: the config's."),
]
UserNameArg = Annotated[str, typer.Argument(help="Login name of an audit page account.")]
PasswordOpt = Annotated[
    str,
    typer.Option(
        prompt=True, hide_input=True, confirmation_prompt=True, show_default=False,
        help="Asked for (twice) when not given; at least 8 characters.",
    ),
]  # fmt: skip
SequentialOpt = Annotated[
    Optional[bool],  # noqa: UP045
    typer.Option(
        "--sequential/--batched",
        help="Decode 30 s windows one after another, or VAD chunks in batches, two decodings "
        "side by side (a chunk that comes back short is decoded again): on 2 cores about 2.7 times "
        "as fast with AMX, 1.7 without (Mandarin). Default (decoding = \"auto\" in memo.toml): "
        "batched for Mandarin, where it measured as good and writes more numbers in digits; "
        "sequential for English, where batched is about 0.7 point of WER worse (names, trade words).",
    ),
]  # fmt: skip
CompanyFileOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option(
        "--company-file",
        help="The company file (other markets, gift items, factory address); default: company.toml "
        "next to memo.toml.",
    ),
]  # fmt: skip
DateOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option("--date", help="The day, YYYY-MM-DD; default: today."),
]
RayOpt = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--ray", metavar="ADDRESS",
        help="Draft on a Ray cluster instead of here. ADDRESS is the head's HOST:PORT, as "
        "`ray start --head` prints it; 'local' starts a Ray instance on this machine. "
        "Recordings and the output folder must be on storage every node sees at the same "
        "paths; with several machines, give --db a PostgreSQL URL. "
        "Needs meeting-memo[cluster].",
    ),
]  # fmt: skip
InboxOpt = Annotated[
    Optional[Path],  # noqa: UP045
    typer.Option("--inbox", help="Include this inbox's memo.toml."),
]


def settings(
    inbox: Path | None = None,
    *,
    rep: str | None = None,
    company: str | None = None,
    language: str | None = None,
    script: str | None = None,
    model: str | None = None,
    rep_speaker: str | None = None,
    templates: Path | None = None,
    glossary: list[str] | None = None,
    outdir: Path | None = None,
    db: str | None = None,
    sequential: bool | None = None,
) -> Settings:
    """The effective settings: defaults, the memo.toml files, then the flags given (not ``None``)."""
    from ..config import load_settings

    overrides = {
        "rep": rep, "company": company, "language": language, "script": script, "model": model,
        "rep_label": rep_speaker, "templates": templates, "glossary": glossary, "outbox": outdir,
        "database": db, "decoding": None if sequential is None else DECODINGS[not sequential],
    }  # fmt: skip
    return run(lambda: load_settings(inbox=inbox, overrides=overrides))


def draft_options(
    cfg: Settings, outdir: Path | None, distributor: str = "", speakers: bool = True
) -> DraftOptions:
    """``DraftOptions`` from effective settings; an output folder that is a file stops here."""
    from ..draft import DraftOptions
    from ..memo.render import MemoDetails
    from ..notes.build import NotesOptions
    from ..outputs import check_folder

    if outdir is not None:
        run(lambda: check_folder(outdir))

    return DraftOptions(
        transcribe=transcribe_options(cfg),
        notes=NotesOptions(rep_speaker=cfg.rep_label or None),
        details=MemoDetails(rep=cfg.rep, company=cfg.company, distributor=distributor),
        outdir=outdir,
        template_dir=cfg.templates,
        speakers=speakers,
    )


def transcribe_options(cfg: Settings) -> TranscribeOptions:
    """``TranscribeOptions`` from effective settings."""
    from ..asr.options import BATCH_SIZE, TranscribeOptions

    return TranscribeOptions(
        model=cfg.model,
        language=cfg.language,  # type: ignore[arg-type]
        script=cfg.script,  # type: ignore[arg-type]
        glossary=cfg.glossary,
        batch_size={"batched": BATCH_SIZE, "sequential": 0}.get(cfg.decoding, -1),  # auto: per language
    )


def open_store(cfg: Settings) -> Any:
    """The run store of the settings (``StoreError`` when it cannot be opened)."""
    from ..config import database_url
    from ..runs.store import Store

    return Store(database_url(cfg))


def open_store_or_warn(cfg: Settings) -> Any:
    """The run store, or ``None`` with a one-line warning: a store problem never stops drafting."""
    from ..errors import MemoError

    try:
        return open_store(cfg)
    except MemoError as e:
        console().print(f"warning: this run is not recorded: {e}", style="yellow", markup=False)
        return None


# -- output ------------------------------------------------------------------------------------


def console() -> Console:
    """stderr, so stdout stays clean for what a command prints (e.g. `memo notes`)."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True, highlight=False)


def progress() -> Progress:
    """A progress display on stderr, hidden when stderr is not a terminal."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    out = console()
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[clock]}"),
        TimeRemainingColumn(),
        console=out,
        transient=False,
        disable=not out.is_terminal,
    )


def audio_progress(bar: Progress, label: str) -> Callable[[float, float], None]:
    """A progress callback that shows ``done / total`` of one recording's audio."""
    from ..memo.render import clock

    task = bar.add_task(label, total=None, clock="")

    def update(done: float, total: float) -> None:
        bar.update(task, completed=done, total=total, clock=f"{clock(done)} / {clock(total)} audio")

    return update
