"""app/settings.py: the limits the app hands to Gradio."""
from __future__ import annotations


def test_the_upload_cap_is_models_limits_one_as_gradio_reads_it():
    from gradio.utils import _parse_file_size

    from app.settings import MAX_UPLOAD
    from vqa.engine import MAX_UPLOAD_BYTES

    assert _parse_file_size(MAX_UPLOAD) == MAX_UPLOAD_BYTES == 10 * 1024 * 1024
