"""A photo input that leaves decoding to models.intake.

gr.Image opens uploads with PIL inside Gradio, where a text file or a truncated
JPEG becomes an exception Gradio can only report as a bare "Error". This
subclass hands the handler the uploaded file's path instead, and the handler
decodes it with models.intake.load_image, whose errors say what is wrong.
"""
from __future__ import annotations

import gradio as gr
from gradio.data_classes import ImageData

from gradio.events import Dependency

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
    from typing import Callable, Literal, Sequence, Any, TYPE_CHECKING
    from gradio.blocks import Block
    if TYPE_CHECKING:
        from gradio.components import Timer
        from gradio.components.base import Component