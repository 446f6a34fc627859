"""FairFace training and the bias audit: reader (fairface), census-biased subset
(subset), tf.data pipeline (pipeline), training CLI (train), audit CLI
(evaluate), synthetic FairFace-format data (synthetic)."""

import sys as _sys

# `python -m training.<cli>`: while Python locates the module, sys.argv[0] is
# "-m" (the documented runpy behaviour), so only the command lines, not code that
# imports training, silence TensorFlow's start-up lines before keras is imported.
if _sys.argv[:1] == ["-m"]:
    from xai.quiet import silence_tf as _silence_tf

    _silence_tf()
