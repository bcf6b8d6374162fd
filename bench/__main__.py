"""``python -m bench``: the performance benchmarks (six items, targets beside them).

``python -m bench.asr`` is the transcription-quality benchmark; ``python -m bench.notes``
scores the notes stage on its own.
"""

from __future__ import annotations

import sys

from bench.perf import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
