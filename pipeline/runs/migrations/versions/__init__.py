"""Revisions of the run store schema, oldest first by ``down_revision``."""
