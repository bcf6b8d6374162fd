"""The notes stage: rules (spaCy, rules as data) sort a transcript into memo content.

spaCy's machine-learning library, thinc, imports PyTorch when it is installed (the
speakers stage installs it) only to offer PyTorch layers, which blank rule pipelines never
use; that import was 2 of the 2.4 s `memo notes` took to start. So, unless PyTorch is
already loaded, thinc is imported here with PyTorch hidden (``import torch`` fails inside
it alone); a later ``import torch`` (the speakers stage) loads it as usual.

Likewise spaCy's ``__init__`` imports its command line (``spacy.cli``: 27 command modules)
for the one function ``info``: spaCy is imported here with ``spacy.cli`` an empty package
over the same folder, so only ``info`` and what it needs run; a later ``import spacy.cli``
imports the real one.
"""

import importlib.util
import sys
import types
from pathlib import Path

if "torch" not in sys.modules and "thinc" not in sys.modules:
    sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        import thinc.compat  # noqa: F401
    finally:
        del sys.modules["torch"]

if "spacy" not in sys.modules:
    _spec = importlib.util.find_spec("spacy")
    if _spec is not None and _spec.submodule_search_locations:
        _cli = types.ModuleType("spacy.cli")
        _cli.__path__ = [str(Path(next(iter(_spec.submodule_search_locations))) / "cli")]
        sys.modules["spacy.cli"] = _cli
        try:
            import spacy  # noqa: F401
        finally:
            del sys.modules["spacy.cli"]
