"""The CLIs' quiet start-up for the app (which imports vqa only), defined once
in xai/quiet.py."""
from xai.quiet import silence_tf

__all__ = ["silence_tf"]
