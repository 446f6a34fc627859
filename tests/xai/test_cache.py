"""Traced functions are built once per model, layer and input shape."""
import gc
import weakref

import numpy as np

from tests.tiny_models import relu_cnn
from xai import GradCAM, IntegratedGradients
from xai.graph import explained_graph


def test_new_explainers_reuse_the_traced_graph(cnn, images):
    GradCAM(cnn).explain(images[:1])
    graph = explained_graph(cnn, images.shape[1:], capture=True)
    traced = graph.traced["activations"]
    GradCAM(cnn).explain(images)  # another explainer, another batch size
    assert explained_graph(cnn, images.shape[1:], capture=True) is graph
    assert graph.traced["activations"] is traced
    assert traced.experimental_get_tracing_count() == 1


def test_ig_forward_and_gradient_share_one_graph(cnn, images):
    IntegratedGradients(cnn, steps=3, batch_size=2).explain(images[:2])
    graph = explained_graph(cnn, images.shape[1:])
    assert set(graph.traced) == {"input", None}
    assert all(fn.experimental_get_tracing_count() == 1 for fn in graph.traced.values())


def test_cache_does_not_keep_a_model_alive():
    model = relu_cnn()
    GradCAM(model).explain(np.zeros((1, 16, 16, 3), dtype=np.float32))
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None
