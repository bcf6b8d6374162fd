"""Alembic environment: migrate the connection handed over by ``pipeline.runs.store``."""

from __future__ import annotations

from alembic import context

from pipeline.runs.store import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - `alembic` run from the command line with a URL
    from sqlalchemy import create_engine

    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "set sqlalchemy.url"
    with create_engine(url).begin() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
