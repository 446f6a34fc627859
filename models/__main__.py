"""`python -m models`: see models/cli.py."""
from __future__ import annotations

import sys

from models.cli import main, render

__all__ = ["main", "render"]

if __name__ == "__main__":
    sys.exit(main())
