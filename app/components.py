"""A photo input that leaves decoding to models.intake.

gr.Image opens uploads with PIL inside Gradio, where a text file or a truncated
JPEG becomes an exception Gradio can only report as a bare "Error", and where a
data URL (webcam frames, pasted images, API calls) would be decoded before the
app's size checks. This subclass hands the handler the uploaded file's path, or
the data URL as it came, and the engine decodes either with
models.intake.load_image: a size cap on the header and on the base64 bytes
first, then errors that say what is wrong.
"""
from __future__ import annotations

import gradio as gr
from gradio.data_classes import ImageData


class PhotoInput(gr.Image):
    # A template component: the browser draws it with gr.Image's own widget.
    # No __init__ of its own: Gradio reads the props it sends to the browser
    # from the constructor's signature.
    is_template = True

    def preprocess(self, payload: ImageData | None) -> str | None:
        if payload is None:
            return None
        if payload.path is None:
            # Webcam frames and pasted images may arrive as data URLs: passed on
            # undecoded (never to gr.Image's preprocess, which decodes them with
            # PIL whatever their size). Any other URL reaches the engine as a path
            # it cannot find, and is refused with a readable message.
            return payload.url
        return str(payload.path)


def photo_input(**kwargs) -> PhotoInput:
    """An upload / webcam / clipboard photo box whose value is the file's path
    (or a data URL, as webcam frames and pasted images may arrive)."""
    return PhotoInput(type="filepath", sources=["upload", "webcam", "clipboard"], **kwargs)
