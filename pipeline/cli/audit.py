"""``memo audit`` (the supervisors' web page) and ``memo audit user …`` (its accounts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from . import common
from .common import DbOpt, PasswordOpt, UserNameArg

if TYPE_CHECKING:
    from ..audit.store import AuditStore

audit_app = typer.Typer(
    help="The supervisors' audit page: review transcripts against their audio, correct, sign off.",
    invoke_without_command=True,
    no_args_is_help=False,
)
user_app = typer.Typer(help="Accounts of the audit page.", no_args_is_help=True)
audit_app.add_typer(user_app, name="user")


def _audit_store(db: str | None) -> AuditStore:
    """The audit store at ``db`` (``memo audit --db``), else the configured run store."""
    from ..audit.store import AuditStore

    cfg = common.settings(db=db)
    return common.run(lambda: AuditStore(common.open_store(cfg)))


@audit_app.callback()
def audit(
    ctx: typer.Context,
    db: DbOpt = None,
    host: Annotated[str, typer.Option(help="Address to serve on; keep 127.0.0.1 unless behind a proxy.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to serve on.", min=1, max=65535)] = 8765,
) -> None:
    """Serve the audit page (http://127.0.0.1:8765): meetings, transcripts, audio, corrections.

    Create accounts first with `memo audit user add NAME --role supervisor|rep`.
    """
    if ctx.invoked_subcommand is not None:
        return
    from ..audit import create_app
    from ..audit.serving import bind, serve

    store = _audit_store(db)
    intervals = common.settings(db=db).followup  # when the ledger page counts a step as due
    sock = common.run(lambda: bind(host, port))  # before the address is printed: a busy port is one line
    typer.echo(f"audit page: http://{host}:{port}/  (Ctrl+C to stop)")
    serve(create_app(store.store, followup=intervals), sock)


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: UserNameArg,
    role: Annotated[str, typer.Option(help="supervisor (sees every meeting) or rep (their own).")] = "rep",
    rep: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional on Python 3.10
        typer.Option(help="The rep name their memos carry; default: NAME."),
    ] = None,
    password: PasswordOpt = "",
) -> None:
    """Create an account of the audit page (password asked for, stored as an argon2 hash)."""
    from ..audit.auth import add_user

    store = _audit_store(_audit_db(ctx))

    def go() -> None:
        user = add_user(store, name, role, password, rep or "")
        typer.echo(f"user {user.name} ({user.role}, rep name {user.rep!r}) added")

    common.run(go)


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """List the accounts: name, role, rep name, active or disabled."""
    store = _audit_store(_audit_db(ctx))
    users = store.users()
    if not users:
        typer.echo("no users yet; add one with `memo audit user add NAME --role supervisor`")
        return
    rows = [("name", "role", "rep name", "state")]
    rows += [(u.name, u.role, u.rep, "disabled" if u.disabled else "active") for u in users]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())


@user_app.command("passwd")
def user_passwd(ctx: typer.Context, name: UserNameArg, password: PasswordOpt = "") -> None:
    """Set an account's password (a supervisor's reset); every session of it ends."""
    from ..audit.auth import set_password

    store = _audit_store(_audit_db(ctx))
    common.run(lambda: set_password(store, name, password))
    typer.echo(f"password of {name} changed; their sessions are signed out")


@user_app.command("disable")
def user_disable(ctx: typer.Context, name: UserNameArg) -> None:
    """Refuse an account's sign-in; its sessions end at once (`enable` undoes it)."""
    from ..audit.auth import disable_user

    store = _audit_store(_audit_db(ctx))
    common.run(lambda: disable_user(store, name))
    typer.echo(f"user {name} disabled; their sessions are signed out")


@user_app.command("enable")
def user_enable(ctx: typer.Context, name: UserNameArg) -> None:
    """Let a disabled account sign in again."""
    from ..audit.auth import enable_user

    store = _audit_store(_audit_db(ctx))
    common.run(lambda: enable_user(store, name))
    typer.echo(f"user {name} enabled")


@user_app.command("remove")
def user_remove(ctx: typer.Context, name: UserNameArg) -> None:
    """Delete an account; its sessions end at once (the review history keeps the name)."""
    from ..audit.auth import remove_user

    store = _audit_store(_audit_db(ctx))
    common.run(lambda: remove_user(store, name))
    typer.echo(f"user {name} removed; their sessions are signed out")


def _audit_db(ctx: typer.Context) -> str | None:
    """The ``--db`` given to ``memo audit`` (the parent of its subcommands)."""
    parent: Any = ctx
    while parent is not None and "db" not in parent.params:
        parent = parent.parent
    return parent.params["db"] if parent is not None else None


def register(app: typer.Typer) -> None:
    """Add this feature's commands to `app`."""
    app.add_typer(audit_app, name="audit")
