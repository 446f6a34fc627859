"""An import inside a function stays only where it keeps start-up fast, with a comment
saying so: every function-level import in the product code (app.py, app/, vqa/, models/,
xai/, training/) has a `# lazy: why` comment on its line, on the comment, blank or
import lines just above it, or in the function's first lines (before its first statement)."""
from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = [ROOT / "app.py", *sorted(p for room in ("app", "vqa", "models", "xai", "training")
                                    for p in (ROOT / room).rglob("*.py"))]
MARK = "# lazy:"


def lazy_comment_lines(source: str) -> set[int]:
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {t.start[0] for t in tokens if t.type == tokenize.COMMENT and t.string.startswith(MARK)}


def function_imports(tree: ast.AST):
    """(innermost function, import statement) for every import inside a function."""
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, child)
            else:
                if function is not None and isinstance(child, (ast.Import, ast.ImportFrom)):
                    found.append((function, child))
                visit(child, function)

    visit(tree, None)
    return found


def unexplained(path: Path, root: Path = ROOT) -> list[str]:
    source = path.read_text()
    lines = source.splitlines()
    marked = lazy_comment_lines(source)
    imports = function_imports(ast.parse(source))
    import_lines = {n for _, node in imports for n in range(node.lineno, node.end_lineno + 1)}
    missing = []
    for function, node in imports:
        if marked & set(range(node.lineno, node.end_lineno + 1)):
            continue
        above = node.lineno - 1  # up through the comment, blank and import lines just above it
        while above >= 1 and above not in marked and (
                above in import_lines or not lines[above - 1].strip() or lines[above - 1].lstrip().startswith("#")):
            above -= 1
        if above >= 1 and above in marked:
            continue
        body = function.body  # the function's head: after its docstring, before its first statement
        docstring = isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str)
        rest = body[1:] if docstring else body
        head = range(body[0].end_lineno + 1 if docstring else function.lineno + 1,
                     rest[0].lineno if rest else function.end_lineno + 1)
        if marked & set(head):
            continue
        missing.append(f"{path.relative_to(root)}:{node.lineno} ({function.name}): {lines[node.lineno - 1].strip()}")
    return missing


def test_the_product_has_function_level_imports_to_check():
    assert sum(len(function_imports(ast.parse(p.read_text()))) for p in PRODUCT) > 50


@pytest.mark.parametrize("path", PRODUCT, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_function_level_import_says_why_it_is_lazy(path):
    assert unexplained(path) == []


def test_an_unexplained_function_level_import_is_found(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        "def kept():\n"
        "    # lazy: keeps start-up free of TensorFlow\n"
        "    import keras\n\n"
        "    import models.graph_layers\n"
        "    return keras\n\n\n"
        "def inline():\n"
        "    import dlib  # lazy: keeps start-up free of dlib\n"
        "    return dlib\n\n\n"
        "def __getattr__(name):\n"
        "    # lazy: keeps `import vqa` light\n"
        "    if name == 'x':\n"
        "        from vqa import pipeline\n"
        "        return pipeline\n\n\n"
        "def bare():\n"
        "    '''A docstring.'''\n"
        "    x = 1\n"
        "    import json\n"
        "    return json, x\n\n\n"
        "def separated():\n"
        "    import os  # lazy: not for the next one\n"
        "    y = os.sep\n"
        "    import sys\n"
        "    return sys, y\n"
    )
    assert unexplained(module, root=tmp_path) == ["module.py:24 (bare): import json",
                                                  "module.py:31 (separated): import sys"]
