"""Configuration: memo.toml files (user, inbox) under CLI flags, and `memo config` shows the sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cli.main import app
from pipeline.config import ConfigError, database_url, load_settings, masked_url


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def test_inbox_file_overrides_user_file_and_flags_override_both(tmp_path: Path) -> None:
    user = write(tmp_path / "user.toml", 'rep = "Lin Mei"\ncompany = "Acme"\nscript = "hans"\n')
    inbox = tmp_path / "inbox"
    write(inbox / "memo.toml", 'company = "Acme Taiwan"\nglossary = ["Kaohsiung"]\noutbox = "out"\n')
    s = load_settings(inbox=inbox, overrides={"script": "hant", "rep": None}, user_file=user)
    assert (s.rep, s.company, s.script, s.glossary) == ("Lin Mei", "Acme Taiwan", "hant", ("Kaohsiung",))
    assert s.outbox == inbox / "out"
    assert s.source("rep") == str(user) and s.source("company") == str(inbox / "memo.toml")
    assert s.source("script") == "command line" and s.source("model") == "default"


def test_bad_files_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown setting 'rep_nmae'; expected one of: rep"):
        load_settings(user_file=write(tmp_path / "a.toml", 'rep_nmae = "x"\n'))
    with pytest.raises(ConfigError, match="expected one of: hant, hans"):
        load_settings(user_file=write(tmp_path / "b.toml", 'script = "trad"\n'))
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(user_file=write(tmp_path / "c.toml", "rep = \n"))


def test_database_is_a_file_or_a_url(tmp_path: Path) -> None:
    user = write(tmp_path / "u.toml", 'database = "runs.sqlite"\n')
    assert database_url(load_settings(user_file=user)) == f"sqlite:///{tmp_path / 'runs.sqlite'}"
    url = "postgresql+psycopg://memo@db/memo"
    assert database_url(load_settings(overrides={"database": url}, user_file=user)) == url


def test_memo_config_shows_each_value_and_its_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    user = write(tmp_path / "cfg" / "meeting-memo" / "memo.toml", 'rep = "Lin Mei"\n')
    result = CliRunner().invoke(app, ["config", "--db", str(tmp_path / "x.sqlite")])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line and line[0] != "#"}
    assert "Lin Mei" in lines["rep"] and f"({user})" in lines["rep"]
    assert "(command line)" in lines["database"] and "(default)" in lines["model"]


def test_a_bad_config_is_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    write(tmp_path / "cfg" / "meeting-memo" / "memo.toml", "model = 3\n")
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 1
    assert result.output.strip().startswith("error:") and "model must be a string" in result.output


SECRET_URL = "postgresql+psycopg://memo:s3cret@db.example:5432/memo"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (SECRET_URL, "postgresql+psycopg://memo:***@db.example:5432/memo"),
        ("postgresql://memo:p@ss/w0rd@db/memo", "postgresql://memo:***@db/memo"),
        ("postgresql://memo@db/memo?password=s3cret&sslmode=require",
         "postgresql://memo@db/memo?password=***&sslmode=require"),
        ("postgresql://memo@db/memo", "postgresql://memo@db/memo"),
        ("sqlite:////home/lin/memo.sqlite", "sqlite:////home/lin/memo.sqlite"),
    ],
)  # fmt: skip
def test_a_database_password_is_masked(url: str, shown: str) -> None:
    assert masked_url(url) == shown


def test_memo_config_never_prints_a_database_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    result = CliRunner().invoke(app, ["config", "--db", SECRET_URL])
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    lines = {line.split("  ")[0]: line for line in result.output.splitlines() if line and line[0] != "#"}
    assert "memo:***@db.example:5432/memo" in lines["database"]
    assert "memo:***@db.example:5432/memo" in lines["database url"]


@pytest.mark.parametrize(
    "url", ["nosuchdb://memo:s3cret@db.example/memo", "postgresql+psycopg://memo:s3cret@db.example:port/memo"]
)
def test_a_store_that_cannot_be_opened_is_one_line_without_its_password(tmp_path: Path, url: str) -> None:
    transcript = tmp_path / "m.transcript.json"
    transcript.write_text('{"language": "en", "segments": [{"id": 0, "start": 0, "end": 2, "text": "Hi."}]}')
    drafted = CliRunner().invoke(app, ["draft", str(transcript), "--db", url])
    batch = CliRunner().invoke(app, ["batch", str(transcript), "--db", url])
    assert drafted.exit_code == 0 and batch.exit_code == 1, drafted.output + batch.output
    assert "warning: this run is not recorded: cannot open the run store" in drafted.output
    assert batch.output.startswith("error: cannot open the run store") and batch.output.count("\n") == 1
    for output in (drafted.output, batch.output):
        assert "s3cret" not in output and "memo:***@db.example" in output and "Traceback" not in output


def test_a_memo_toml_that_is_a_folder_is_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    user = tmp_path / "cfg" / "meeting-memo" / "memo.toml"
    user.mkdir(parents=True)
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 1
    assert result.output == f"error: {user}: is a folder, not a settings file; remove or rename it\n"
    inbox_file = tmp_path / "inbox" / "memo.toml"
    inbox_file.mkdir(parents=True)
    with pytest.raises(ConfigError, match=f"{inbox_file}: is a folder"):
        load_settings(inbox=tmp_path / "inbox", user_file=tmp_path / "none.toml")
