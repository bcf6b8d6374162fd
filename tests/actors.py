"""Actors for the cluster tests, in a module Ray's workers import by name (``tests.actors``;
a test module itself is imported by pytest under another name)."""

from __future__ import annotations

import os

from pipeline.runs.cluster import Drafter, Item


class DyingDrafter(Drafter):
    """An actor whose process dies whenever it is given a recording."""

    def draft(self, *args: object) -> Item:
        os._exit(1)
