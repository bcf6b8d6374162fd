"""The supervisors' audit page: review each transcript against its audio, correct it, sign it off.

``create_app`` builds the web application (Starlette, Jinja2 templates, no JavaScript
framework); ``memo audit`` serves it on localhost. Modules: ``store`` (the audit tables),
``search`` (transcript search across Chinese scripts), ``auth`` (accounts, passwords, CSRF),
``sessions`` (signed-in sessions, kept in the store), ``throttle`` (sign-in limits),
``views`` (what a page shows, as plain values), ``redrafting`` (a memo again from the
corrected transcript), ``app`` (routes), ``serving`` (the socket first, then uvicorn).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["add_user", "create_app", "redraft"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "add_user":
        from .auth import add_user

        return add_user
    if name == "redraft":
        from .redrafting import redraft

        return redraft
    raise AttributeError(f"module 'pipeline.audit' has no attribute {name!r}")


if TYPE_CHECKING:  # pragma: no cover
    from .app import create_app
    from .auth import add_user
    from .redrafting import redraft
