"""Benchmarks, one module per room or subject: `python -m benchmarks.<name>`
(xai, models, vqa, app, training; load, browser, router). The rooms' old
`python -m <room>.bench` run them under their old names.

They print tables and ratios from one run; the figures depend on the machine
and its load (docs/benchmarks.md says which were taken how). They may import
any room; no room imports them (.importlinter).
"""

import sys as _sys

# `python -m benchmarks.<name>`: while Python locates the module, sys.argv[0] is
# "-m" (the documented runpy behaviour), so only the command lines, not code that
# imports benchmarks, silence TensorFlow's start-up lines before keras is imported.
if _sys.argv[:1] == ["-m"]:
    from xai.quiet import silence_tf as _silence_tf

    _silence_tf()
