"""The ``memo`` command line (``memo = pipeline.cli:main``); see ``main``."""

from .main import app, main

__all__ = ["app", "main"]
