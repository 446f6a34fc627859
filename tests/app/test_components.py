"""app/components.py: the photo box hands the engine what came, undecoded."""
from __future__ import annotations

import gradio as gr
import numpy as np
from PIL import Image


def _data_url(image: Image.Image) -> str:
    import base64
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def test_the_photo_box_hands_a_data_url_to_the_engine_undecoded(monkeypatch):
    """Webcam frames and pasted images may come as a data URL and no path:
    gr.Image's own preprocess would decode them with PIL before any size check."""
    from gradio.data_classes import ImageData

    from app.components import photo_input
    from vqa.engine import MAX_UPLOAD_PIXELS, load_image

    def decodes(*args, **kwargs):
        raise AssertionError("gr.Image's preprocess decoded the photo")

    monkeypatch.setattr(gr.Image, "preprocess", decodes)
    box = photo_input()
    pixels = np.random.default_rng(3).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    url = _data_url(Image.fromarray(pixels))
    value = box.preprocess(ImageData(url=url))
    assert value == url
    np.testing.assert_array_equal(load_image(value, max_pixels=MAX_UPLOAD_PIXELS), pixels)  # what the engine does
    assert box.preprocess(ImageData(path="/tmp/upload.png", url=url)) == "/tmp/upload.png"  # a file: its path
    assert box.preprocess(None) is None
