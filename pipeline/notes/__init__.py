"""The notes stage: rules (spaCy, rules as data) sort a transcript into memo content.

spaCy's machine-learning library, thinc, imports PyTorch when it is installed (the
speakers stage installs it) only to offer PyTorch layers, which blank rule pipelines never
use; that import was 2 of the 2.4 s `memo notes` took to start. So, unless PyTorch is
already loaded, thinc is imported here with PyTorch hidden (``import torch`` fails inside
it alone); a later ``import torch`` (the speakers stage) loads it as usual.

Likewise spaCy's ``__init__`` imports its command line for the one function ``info``
(``spacy.cli``: 27 command modules, typer, weasel, httpx, requests; 0.3 s): spaCy is
imported here with ``spacy.cli.info`` a stand-in whose ``info`` imports the real one when
called; both stand-ins leave ``sys.modules`` after, so ``import spacy.cli`` is the real one.
"""

import importlib.util
import sys
import types
from typing import Any

if "torch" not in sys.modules and "thinc" not in sys.modules:
    sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        import thinc.compat  # noqa: F401
    finally:
        del sys.modules["torch"]

if "spacy" not in sys.modules and importlib.util.find_spec("spacy") is not None:

    def _info(*args: Any, **kwargs: Any) -> Any:
        """``spacy.info``, imported when called."""
        from spacy.cli.info import info

        return info(*args, **kwargs)

    _cli, _cli_info = types.ModuleType("spacy.cli"), types.ModuleType("spacy.cli.info")
    _cli_info.info = _info  # type: ignore[attr-defined]
    sys.modules.update({"spacy.cli": _cli, "spacy.cli.info": _cli_info})
    try:
        import spacy  # noqa: F401
    finally:
        del sys.modules["spacy.cli"], sys.modules["spacy.cli.info"]
