"""The CLIs' quiet start-up, defined once in xai/quiet.py (the room every other
room may import); kept here under its first name."""
from xai.quiet import silence_tf, stderr_to_devnull

__all__ = ["silence_tf", "stderr_to_devnull"]
