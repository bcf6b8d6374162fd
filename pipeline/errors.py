"""The project's exceptions. Each message says what went wrong and how to fix it.

The CLI turns every ``MemoError`` into a one-line error with exit code 1; anything
else is a bug and shows a traceback only with ``--debug``.
"""

from __future__ import annotations


class MemoError(Exception):
    """Base class of every error the user can act on."""


class InputError(MemoError):
    """A recording or transcript that cannot be used (missing, empty, not audio...)."""


class NoSpeechError(InputError):
    """The recording decodes, but holds no speech to transcribe."""


class ModelError(MemoError):
    """The speech model cannot be found, assembled or loaded."""


class TemplateError(MemoError):
    """The memo template is missing or does not agree with the render context."""


class OutputError(MemoError):
    """An output cannot be written (read-only directory, disk full...)."""


class ConfigError(MemoError):
    """A ``memo.toml`` that cannot be read, or holds unknown keys or bad values."""


class StoreError(MemoError):
    """The run store cannot be opened or written."""


class AuditError(MemoError):
    """An audit account or request that cannot be honoured."""


class RuleError(MemoError, ValueError):
    """A rule file is malformed; the message names the file, line and fix."""


class NotReadyError(MemoError):
    """A finished memo still has problems (``memo check``), so no print version is made."""


class LedgerError(MemoError):
    """A follow-up ledger step that cannot be recorded (unknown step or distributor, bad date)."""


class ClusterError(MemoError):
    """A Ray cluster that cannot be reached or used (``--ray``), or Ray is not installed."""
