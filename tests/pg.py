"""A throwaway PostgreSQL server for the store tests: ``initdb`` in a temp folder, a Unix socket.

Debian's ``postgresql`` package (``make postgres`` installs it) puts its programs in
``/usr/lib/postgresql/<version>/bin``; PATH is looked in first. The server listens on no
TCP port, only on a socket in its folder, with fsync off (a test database is thrown away).
``initdb`` and ``postgres`` refuse to run as root: under root the server runs as the
``postgres`` system user, in a folder it owns.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

SUPERUSER = "memo"


class Unavailable(Exception):
    """No PostgreSQL server can be started here; the message says why (the tests skip)."""


def bin_dir() -> Path | None:
    """The folder with ``initdb`` and ``pg_ctl``: on PATH, else the newest Debian version."""
    found = shutil.which("initdb")
    if found:
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


class Server:
    """A PostgreSQL server of the tests' own; ``url`` reaches its ``postgres`` database."""

    def __init__(self) -> None:
        bindir = bin_dir()
        if bindir is None:
            raise Unavailable("no PostgreSQL server programs (initdb); `make postgres` installs them")
        self.bindir = bindir
        # /tmp itself, not pytest's folder (mode 700, root's): the postgres user must reach it,
        # and a socket path must stay under about 100 bytes.
        self.base = Path(tempfile.mkdtemp(prefix="memo-pg-"))
        self.data = self.base / "data"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError as e:
                raise Unavailable("running as root and there is no postgres system user") from e
            os.chown(self.base, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgresql+psycopg://{SUPERUSER}@/postgres?host={self.base}"

    def _run(self, program: str, *args: str) -> None:
        cmd = [*self.as_user, str(self.bindir / program), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.base / "log"
            tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
            raise Unavailable(f"{program} failed: {done.stderr.strip() or done.stdout.strip()} {tail}")

    def start(self) -> Server:
        """initdb, then start the server and wait until it takes connections."""
        try:
            self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8",
                      "--locale=C", "--no-sync")  # fmt: skip
            options = (f"-k {self.base} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
                       "-c full_page_writes=off -c max_connections=200")  # fmt: skip
            self._run("pg_ctl", "-D", str(self.data), "-l", str(self.base / "log"), "-w", "-t", "60",
                      "-o", options, "start")  # fmt: skip
        except BaseException:
            shutil.rmtree(self.base, ignore_errors=True)
            raise
        return self

    def stop(self) -> None:
        """Stop the server at once and remove its folder."""
        with contextlib.suppress(Unavailable):  # already stopped: only the folder is left
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.base, ignore_errors=True)


def create_database(admin_url: str) -> str:
    """A new, empty database on the server of ``admin_url``; its URL."""
    import sqlalchemy as sa

    name = f"memo_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return sa.engine.make_url(admin_url).set(database=name).render_as_string(False)


def drop_database(admin_url: str, url: str) -> None:
    """Drop a database ``create_database`` made (connections still open are ended)."""
    import sqlalchemy as sa

    name = sa.engine.make_url(url).database
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()
