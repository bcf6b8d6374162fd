"""Settings from ``memo.toml`` files and CLI flags, with where each value came from.

Lookup order, later wins: built-in defaults, the user's config file
(``<user config dir>/meeting-memo/memo.toml``), ``memo.toml`` in the inbox, then
CLI flags. ``memo config`` prints the result with each value's source.

Example ``memo.toml``::

    rep = "Lin Mei"
    rep_label = "rep"          # the rep's speaker label in transcripts
    company = "Acme Foods"
    script = "hant"            # hant | hans
    model = "base"
    decoding = "auto"          # auto (batched for Mandarin) | sequential | batched
    glossary = ["Acme", "Kaohsiung"]
    inbox = "~/Recordings"
    outbox = "~/Recordings/memos"
    database = "~/memo.sqlite" # or postgresql+psycopg://user@host/memo

    [followup]                 # when a follow-up step is due (`memo followup`)
    memo_working_days = 2      # memo sent, working days after the meeting
    proposal_days = 14         # cooperation proposal, days after the memo was sent
    decision_days = 14         # product gift and invitation, days after the proposal
    visit_days = 30            # factory visit, days after the gift; then a decision every decision_days
"""

from __future__ import annotations

import dataclasses
import logging
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

logger = logging.getLogger(__name__)

APP_NAME = "meeting-memo"
CONFIG_NAME = "memo.toml"


@dataclass(frozen=True)
class FollowupSettings:
    """When each follow-up step is due, counted from the step before (``[followup]`` in memo.toml).

    Attributes:
        memo_working_days: the memo goes out this many working days (Mon–Fri) after the meeting.
        proposal_days: the cooperation proposal, this many days after the memo was sent.
        decision_days: no decision this many days after the proposal: the gift and invitation
            are due; after the factory visit, the rep asks again every ``decision_days``.
        visit_days: the factory visit, this many days after the gift was sent.
    """

    memo_working_days: int = 2
    proposal_days: int = 14
    decision_days: int = 14
    visit_days: int = 30

    def describe(self) -> str:
        """``memo_working_days=2, proposal_days=14, …`` for ``memo config``."""
        return ", ".join(f"{f.name}={getattr(self, f.name)}" for f in dataclasses.fields(self))


@dataclass(frozen=True)
class Settings:
    """Effective settings of ``memo draft``, ``batch`` and ``watch``.

    Attributes:
        rep: the rep's name, for the memo header and the roll-up.
        rep_label: the rep's speaker label in transcripts that have speakers.
        company: the rep's company, for the memo header.
        language: ``zh``, ``en`` or ``None`` (detect between the two).
        script: Chinese output script, ``hant`` or ``hans``.
        model: ``base`` (embedded), a cached faster-whisper size, or a model directory.
        decoding: ``auto`` (batched for Mandarin, sequential for English: what measured as
            good for each), ``sequential`` (30 s windows one after another) or ``batched``
            (VAD chunks in batches, short ones again sequentially).
        glossary: names passed to the model as hotwords.
        templates: a folder of restyled memo templates, or ``None``.
        inbox: the drop folder ``memo watch`` uses when none is given.
        outbox: where memos go; ``None`` means the command's own default.
        database: an SQLite file path or a database URL; ``None`` is the default file.
        followup: when follow-up steps are due (the ``[followup]`` table).
        sources: for each field, where its value came from.
    """

    rep: str = ""
    rep_label: str = "rep"
    company: str = ""
    language: str | None = None
    script: str = "hant"
    model: str = "base"
    decoding: str = "auto"
    glossary: tuple[str, ...] = ()
    templates: Path | None = None
    inbox: Path | None = None
    outbox: Path | None = None
    database: str | None = None
    followup: FollowupSettings = field(default_factory=FollowupSettings)
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    def source(self, name: str) -> str:
        """Where the value of ``name`` came from (``default`` when never set)."""
        return self.sources.get(name, "default")


FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Settings) if f.name != "sources")
_CHOICES = {
    "script": ("hant", "hans"), "language": ("zh", "en"), "decoding": ("auto", "batched", "sequential")
}  # fmt: skip
_PATHS = ("templates", "inbox", "outbox")


def user_config_file() -> Path:
    """The user's config file (it may not exist)."""
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME)) / CONFIG_NAME


def user_data_dir() -> Path:
    """Where the default run store lives."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


def _followup(value: Any, where: str) -> FollowupSettings:
    names = [f.name for f in dataclasses.fields(FollowupSettings)]
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: followup must be a table ([followup]) of: {', '.join(names)}")
    unknown = sorted(set(value) - set(names))
    if unknown:
        raise ConfigError(
            f"{where}: unknown followup setting {unknown[0]!r}; expected one of: {', '.join(names)}"
        )
    for key, days in value.items():
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ConfigError(f"{where}: followup.{key} must be a whole number of days (0 or more)")
    return FollowupSettings(**value)


def _coerce(name: str, value: Any, where: str, base: Path) -> Any:
    if name == "followup":
        return _followup(value, where)
    if name == "glossary":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: glossary must be a list of strings")
        return tuple(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {name} must be a string, not {type(value).__name__}")
    if name == "language" and value in ("", "auto"):
        return None
    if name in _CHOICES and value not in _CHOICES[name]:
        raise ConfigError(
            f"{where}: {name} {value!r} is not known; expected one of: {', '.join(_CHOICES[name])}"
        )
    if name in _PATHS:
        path = Path(value).expanduser()
        return path if path.is_absolute() else base / path
    if name == "database" and "://" not in value:
        path = Path(value).expanduser()
        return str(path if path.is_absolute() else base / path)
    return value


def read_file(path: Path) -> dict[str, Any]:
    """The settings in one ``memo.toml``, relative paths taken from its folder.

    Raises:
        ConfigError: a folder, unreadable TOML, an unknown key, or a bad value.
    """
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder, not a settings file; remove or rename it")
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as e:
        raise ConfigError(f"{path}: cannot be read ({e.strerror})") from e
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not valid TOML ({e})") from e
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ConfigError(f"{path}: unknown setting {unknown[0]!r}; expected one of: {', '.join(FIELDS)}")
    return {k: _coerce(k, v, str(path), path.parent) for k, v in data.items()}


def load_settings(
    inbox: Path | None = None,
    overrides: dict[str, Any] | None = None,
    user_file: Path | None = None,
) -> Settings:
    """Merge defaults, the user's file, the inbox's ``memo.toml`` and ``overrides`` (CLI flags).

    Args:
        inbox: a folder whose ``memo.toml`` applies; defaults to the ``inbox`` setting.
        overrides: values given on the command line, by field name; ``None`` values are ignored.
        user_file: the user's config file; defaults to ``user_config_file()``.
    """
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}

    def merge(data: dict[str, Any], where: str) -> None:
        for key, value in data.items():
            values[key] = value
            sources[key] = where

    # exists(), not is_file(): a memo.toml that is a folder is an error, never silently skipped.
    user = user_file or user_config_file()
    if user.exists():
        merge(read_file(user), str(user))
    folder = (overrides or {}).get("inbox") or inbox or values.get("inbox")
    if folder is not None and (Path(folder) / CONFIG_NAME).exists():
        local = Path(folder) / CONFIG_NAME
        merge(read_file(local), str(local))
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if key not in FIELDS:
            raise ConfigError(f"unknown setting {key!r}; expected one of: {', '.join(FIELDS)}")
        values[key] = tuple(value) if key == "glossary" else value
        sources[key] = "command line"
    return Settings(**values, sources=sources)


def database_url(settings: Settings) -> str:
    """The run store's SQLAlchemy URL: the ``database`` setting or the default SQLite file."""
    db = settings.database
    if db and "://" in db:
        return db
    path = Path(db).expanduser() if db else user_data_dir() / "memo.sqlite"
    return f"sqlite:///{path.resolve()}"


_URL_PASSWORD = re.compile(r"^(?P<head>[A-Za-z][\w+.-]*://[^:/@?#]*):(?P<password>.*)@(?P<host>[^@]*)$")
_QUERY_PASSWORD = re.compile(r"(?P<key>[?&]password=)[^&#]*", re.IGNORECASE)


def masked_url(url: str) -> str:
    """A database URL fit to print: its password, also a ``password=`` parameter, as ``***``.

    ``postgresql+psycopg://memo:s3cret@db/memo`` → ``postgresql+psycopg://memo:***@db/memo``.
    Everything up to the last ``@`` after the user name is taken as the password, so one
    typed with an unescaped ``@`` or ``/`` is hidden too.
    """
    m = _URL_PASSWORD.match(url)
    if m:
        url = f"{m['head']}:***@{m['host']}"
    return _QUERY_PASSWORD.sub(r"\g<key>***", url)


def without_password(text: str, url: str) -> str:
    """``text`` (an error message) with ``url`` and its password masked wherever they appear."""
    text = text.replace(url, masked_url(url))
    secrets = [m["password"] for m in [_URL_PASSWORD.match(url)] if m and m["password"]]
    secrets += [v for v in re.findall(r"[?&]password=([^&#]*)", url, re.IGNORECASE) if v]
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def describe(settings: Settings) -> list[tuple[str, str, str]]:
    """``(name, value, source)`` rows for ``memo config``; a database password is masked."""
    rows = []
    for name in FIELDS:
        value = getattr(settings, name)
        if name == "glossary":
            shown = ", ".join(value) if value else "(none)"
        elif name == "followup":
            shown = value.describe()
        elif value is None or value == "":
            shown = "(auto)" if name == "language" else "(not set)"
        elif name == "database":
            shown = masked_url(str(value))
        else:
            shown = str(value)
        rows.append((name, shown, settings.source(name)))
    db = database_url(settings)
    rows.append(("database url", masked_url(db), settings.source("database")))
    return rows
