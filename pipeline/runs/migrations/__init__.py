"""Alembic migrations of the run store (``pipeline.runs.store`` runs them when a store is opened).

To add a revision after changing the tables in ``pipeline/store.py``, write a new file in
``versions/`` (``alembic revision`` with ``script_location`` set to this folder works too).
"""
