"""The house rules (docs/architecture.md) as import-linter contracts (.importlinter):
the real tree keeps every one, and a deliberately wrong import breaks one. And the
tests' own rule, which import-linter cannot express (it matches whole module names
only): no test module imports another test module or a conftest."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "vqa", "models", "xai", "training", "benchmarks")
CONTRACTS = {
    "xai imports no project package",
    "models imports neither vqa nor app",
    "vqa imports neither app nor training",
    "gradio only in app.py and app/",
    "app imports only vqa of the project",
    "no room imports benchmarks",
    "the general VQA model (vqa.general) is imported by vqa and app only",
    "xai.metrics.occlusion is model-agnostic",
    "models imports no training",
    "models.importers is imported only by models.cli and vqa.engine",
    "models.importers does not import models.cli",
}


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    lint = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "200"}
    return subprocess.run([lint, str(root / ".importlinter"), "--no-cache", "--no-logo"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def copy_of_the_tree(folder: Path) -> Path:
    """The packages' Python files and the contracts, without caches or data."""
    for package in PACKAGES:
        shutil.copytree(REPO / package, folder / package,
                        ignore=lambda _, names: [n for n in names if n == "__pycache__"
                                                 or (not n.endswith(".py") and "." in n)])
    shutil.copy(REPO / ".importlinter", folder / ".importlinter")
    return folder


def test_the_tree_keeps_every_contract():
    done = lint_imports(REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    for contract in CONTRACTS:
        assert contract in done.stdout
    assert f"{len(CONTRACTS)} kept, 0 broken" in done.stdout


@pytest.mark.parametrize("module, wrong, broken", [
    ("models/_wrong.py", "from vqa import router\n", "models imports neither vqa nor app"),
    ("xai/_wrong.py", "def f():\n    from models import labels\n", "xai imports no project package"),
    ("vqa/_wrong.py", "import gradio\n", "gradio only in app.py and app/"),
    ("app/_wrong.py", "from models.faces import detect_faces\n", "app imports only vqa of the project"),
    ("models/_wrong.py", "from benchmarks.photos import group_photo\n", "no room imports benchmarks"),
    ("training/_wrong.py", "def f():\n    from vqa.general import ask\n",
     "the general VQA model (vqa.general) is imported by vqa and app only"),
    ("models/_wrong.py", "def f():\n    from training.architecture import build_model\n",
     "models imports no training"),
    ("models/_wrong.py", "def f():\n    from models.importers import ensure_pretrained\n",
     "models.importers is imported only by models.cli and vqa.engine"),
    ("models/importers/_wrong.py", "def f():\n    from models.cli import import_main\n",
     "models.importers does not import models.cli"),
    # Added to the real module: the metric must not reach for a model itself (xai.base runs TensorFlow).
    ("xai/metrics/occlusion.py", "\nfrom xai.base import ModelCall\n", "xai.metrics.occlusion is model-agnostic"),
])
def test_a_wrong_import_breaks_its_contract(tmp_path, module, wrong, broken):
    root = copy_of_the_tree(tmp_path)
    path = root / module
    path.write_text((path.read_text() if path.exists() else "") + wrong)
    done = lint_imports(root)
    assert done.returncode != 0
    assert f"{len(CONTRACTS) - 1} kept, 1 broken" in done.stdout, done.stdout
    assert f"{broken}" in done.stdout and module.replace("/", ".").removesuffix(".py") in done.stdout


def _imported_modules(path: Path) -> list[str]:
    """The dotted names a Python file imports (`from a.b import c`: a.b and a.b.c), relative ones resolved."""
    import ast

    package = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            names += [module, *(f"{module}.{alias.name}" for alias in node.names)]
    return names


def test_no_test_module_imports_another_test_module_or_a_conftest():
    """What several test files share lives in modules that are not tests (tests/helpers.py,
    tests/tiny_models.py, a room's helpers.py), and fixtures in the nearest conftest.py above
    the folders that use them: a test file that imports another runs that file's set-up and
    breaks when it moves, and one that imports a conftest's fixtures defines them a second time."""
    wrong = [f"{path.relative_to(REPO)} imports {name}"
             for path in sorted((REPO / "tests").rglob("*.py"))
             for name in _imported_modules(path)
             if name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith(("test_", "conftest"))]
    assert wrong == []
