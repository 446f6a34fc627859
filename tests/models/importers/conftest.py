"""Fixtures for the importer tests: the pretrained models, imported once per session."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def pretrained(pretrained_import):
    """(models dir, downloads dir, model paths, import messages); the import itself
    runs once per session (tests/conftest.py)."""
    root, downloads, paths, messages = pretrained_import
    print("\n".join(messages))
    return root / "models", downloads, paths, messages
