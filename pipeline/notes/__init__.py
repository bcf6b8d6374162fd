"""The notes stage: rules (spaCy, rules as data) sort a transcript into memo content.

spaCy's machine-learning library, thinc, imports PyTorch when it is installed (the
speakers stage installs it) only to offer PyTorch layers, which blank rule pipelines never
use; that import was 2 of the 2.4 s `memo notes` took to start. So, unless PyTorch is
already loaded, thinc is imported here with PyTorch hidden (``import torch`` fails inside
it alone); a later ``import torch`` (the speakers stage) loads it as usual.
"""

import sys

if "torch" not in sys.modules and "thinc" not in sys.modules:
    sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        import thinc.compat  # noqa: F401
    finally:
        del sys.modules["torch"]
