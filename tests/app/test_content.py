"""app/content.py: the privacy text says what the app keeps, for how long, and what
the share relay sees."""
from __future__ import annotations

from app import cli, content


def test_the_privacy_text_states_the_retention_and_the_share_relay_exactly():
    text = content.privacy(900, (60, 300))
    assert "**15 minutes from the moment you ask**" in text and "5 minutes old" in text
    assert "never your photo or your question" in text and "share relay" not in text
    assert "**2 seconds from the moment you ask**" in content.privacy(2, (60, 300))
    assert "share relay" in content.privacy(2, (60, 300), share=True)
    assert "share relay" in cli.build_parser().format_help()
