"""The pretrained importers: third-party models fetched once, rebuilt as Keras models
and written into the user cache with their cards. Used when models are imported
(`python -m models import`, and vqa.engine on first run), never to load or run one.

    pretrained.py    ensure_pretrained: dlib's, GEAR's and the other human-models, each with its card
    human_models.py  SSR-Net, the mini-Xception and FaceRes: what each graph is and its card
    onnx_graph.py    an ONNX graph rebuilt as a Keras model (dlib's)
    tfjs_graph.py    a TF.js graph rebuilt as a Keras model (GEAR and the other human-models)
    layer_names.py   unique Keras layer names, shared by both converters
    npm.py           a few checked files out of an npm package, fetched with `npm pack`

The few custom layers the TF.js models need stay in models/graph_layers.py: the
runtime (models/handle.py) registers them to load these models' files.
"""
from models.importers.pretrained import ensure_pretrained

__all__ = ["ensure_pretrained"]
