"""`python -m models.pretrained [--cache DIR] [--downloads DIR] [--force]`: the older name of
`python -m models import` (docs/models.md), kept as an alias.

Run, not imported: the importers themselves are models/importers/ (ensure_pretrained).
"""
if __name__ == "__main__":
    from models.cli import import_main

    raise SystemExit(import_main())
