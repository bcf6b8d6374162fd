"""``memo audit`` (the supervisors' web page) and ``memo audit user …`` (its accounts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from . import common
from .common import DbOpt

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
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8765,
) -> None:
    """Serve the audit page (http://127.0.0.1:8765): meetings, transcripts, audio, corrections.

    Create accounts first with `memo audit user add NAME --role supervisor|rep`.
    """
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from ..audit import create_app

    store = _audit_store(db)
    app = create_app(store.store)
    typer.echo(f"audit page: http://{host}:{port}/  (Ctrl+C to stop)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="supervisor (sees every meeting) or rep (their own).")] = "rep",
    rep: Annotated[
        Optional[str],  # noqa: UP045 - typer needs Optional on Python 3.10
        typer.Option(help="The rep name their memos carry; default: NAME."),
    ] = None,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            show_default=False,
            help="Asked for when not given.",
        ),
    ] = "",
) -> None:
    """Create an account of the audit page (password asked for, stored as an argon2 hash)."""
    from ..audit.auth import add_user

    store = _audit_store(_audit_db(ctx))

    def go() -> None:
        user = add_user(store, name, role, password, rep or "")
        typer.echo(f"user {user.name} ({user.role}, rep name {user.rep!r}) added")

    common.run(go)


def _audit_db(ctx: typer.Context) -> str | None:
    """The ``--db`` given to ``memo audit`` (the parent of its subcommands)."""
    parent: Any = ctx
    while parent is not None and "db" not in parent.params:
        parent = parent.parent
    return parent.params["db"] if parent is not None else None


def register(app: typer.Typer) -> None:
    """Add this feature's commands to `app`."""
    app.add_typer(audit_app, name="audit")
