"""``python -m pipeline``: the ``memo`` command."""

from .cli import main

main()
