"""The README is a page for users, and what it tells them to run works.

Every command is read from README.md itself, never copied here:

- Usage blocks are the README's ```bash code blocks. Each `python ...` command in
  them (also after `&&`, or after `NAME=value` prefixes) runs in this test:
  - a program that serves until stopped or trains for long (HELP_ONLY) runs with
    `--help` instead of its arguments, and every `--flag` the README gives it must
    appear in that help;
  - a program that answers (RUN_AS_WRITTEN) runs exactly as written, through bash,
    in a fresh folder that holds the README's placeholders: `photo.jpg` (skimage's
    public-domain astronaut, written here) and `photos/` (the astronaut and its
    mirror image). A command that names a placeholder must answer: its output
    names a model and what it was trained on;
  - a program in neither list fails the test, so that a new command is classified
    here on purpose.
- The ```python block that uses gradio_client runs against a live `python app.py`,
  with only its URL replaced; every keyword it names and every endpoint the README
  names must exist in the live app's API.

Subprocesses use the session's pretrained cache (tests/conftest.py).
"""
from __future__ import annotations

import fnmatch
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks.app import free_port

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
MAX_LINES = 200
QUICKSTART = ("pip install -r requirements.txt && python app.py", "bash scripts/test.sh")
README_URL = "http://127.0.0.1:7860/"
# Files other work writes (repo-relative): links to them are not checked until they are in this tree.
MADE_ELSEWHERE = {
    "docs/screenshot.png": "the browser test, tests/app/test_browser.py",
    "docs/notes/ig-baseline.md": "the IG baseline measurement (xai)",
    "docs/audit-summary.md": "the audit summary schema (models/audit_summary.py)",
}

# fnmatch patterns on the program: a script path or the module after -m.
HELP_ONLY = {"app.py": "serves until stopped", "training.*": "trains or generates data for long",
             "*.bench": "benchmarks take minutes", "benchmarks.*": "benchmarks take minutes"}
RUN_AS_WRITTEN = {"vqa": "answers a question about photos", "models": "lists or imports models",
                  "models.pretrained": "imports the pretrained models (already in the session cache)"}
PLACEHOLDERS = ("photo.jpg", "photos/")
COMMAND_TIMEOUT_S = 600
APP_START_TIMEOUT_S = 300

PYTHON = re.compile(r"^(?P<env>(?:\w+=\S*\s+)*)python(?:3(?:\.11)?)?(?=\s|$)")


def readme_text() -> str:
    return README.read_text(encoding="utf-8")


def code_blocks(language: str) -> list[str]:
    return [m.group(2) for m in re.finditer(r"^```(\w*)\n(.*?)^```", readme_text(), re.M | re.S)
            if m.group(1) == language]


def usage_commands() -> list[str]:
    """Every `python ...` command of the bash blocks, continuation lines joined."""
    commands = []
    for block in code_blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            for segment in line.split("&&"):
                segment = segment.strip()
                if PYTHON.match(segment):
                    commands.append(segment)
    return commands


def program_of(command: str) -> tuple[str, list[str]]:
    """(program, its arguments): a script path, or the module after -m."""
    words = shlex.split(command, comments=True)
    while "=" in words[0] and not words[0].startswith("python"):
        words.pop(0)
    if words[1] == "-m":
        return words[2], words[3:]
    return words[1], words[2:]


def kind_of(program: str) -> str | None:
    if any(fnmatch.fnmatchcase(program, pattern) for pattern in HELP_ONLY):
        return "help"
    if program in RUN_AS_WRITTEN:
        return "run"
    return None


def subprocess_env(cache: Path) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "FACEXAI_CACHE": str(cache), "PYTHONPATH": path, "PYTHONUNBUFFERED": "1"}


# -- the page itself ---------------------------------------------------------------


def test_readme_is_at_most_200_lines():
    lines = readme_text().count("\n")
    assert lines <= MAX_LINES, f"README.md has {lines} lines; at most {MAX_LINES} (move detail to docs/)"


def test_space_front_matter_matches_the_pinned_gradio_and_entry_point():
    text = readme_text()
    assert text.startswith("---\n")
    front = dict(line.split(": ", 1) for line in text.split("\n---\n", 1)[0].splitlines()[1:])
    pinned = re.search(r"^gradio==(\S+)", (REPO / "requirements.txt").read_text(), re.M).group(1)
    assert front["sdk"] == "gradio" and front["sdk_version"] == pinned
    assert (REPO / front["app_file"]).is_file()
    assert front["python_version"].strip('"') == f"{sys.version_info.major}.{sys.version_info.minor}"


def test_the_two_command_quickstart_is_there_exactly():
    lines = {line.strip() for block in code_blocks("bash") for line in block.splitlines()}
    for command in QUICKSTART:
        assert command in lines, f"the quickstart lost {command!r}"


def test_local_links_resolve():
    """Every relative link of the README, CONTRIBUTING.md and docs/*.md points at a file here."""
    pages = [README, REPO / "CONTRIBUTING.md", *sorted((REPO / "docs").glob("*.md"))]
    missing, checked = [], 0
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            path = (page.parent / target).resolve()
            name = path.relative_to(REPO).as_posix() if path.is_relative_to(REPO) else str(path)
            if name in MADE_ELSEWHERE and not path.exists():
                continue
            checked += 1
            if not path.exists():
                missing.append(f"{page.relative_to(REPO)} -> {target}")
    assert checked, "no local links found: is the pattern still right?"
    assert not missing, f"links to missing files: {missing}"


def test_every_usage_command_is_classified():
    commands = usage_commands()
    programs = {program_of(c)[0] for c in commands}
    assert "app.py" in programs and "vqa" in programs, f"the usage blocks lost the app or the CLI: {programs}"
    assert any(p in c for c in commands for p in PLACEHOLDERS), "no usage command answers a photo"
    unknown = sorted(p for p in programs if kind_of(p) is None)
    assert not unknown, f"classify these README programs in HELP_ONLY or RUN_AS_WRITTEN: {unknown}"


# -- the commands, as the README gives them -------------------------------------------


@pytest.fixture(scope="module")
def readme_cache(pretrained_import) -> Path:
    return pretrained_import[0]


@pytest.fixture()
def workdir(tmp_path) -> Path:
    """A folder holding the README's placeholders, as a user's folder would."""
    from tests.helpers import astronaut_image

    photo = astronaut_image()
    Image.fromarray(photo).save(tmp_path / "photo.jpg", quality=95)
    (tmp_path / "photos").mkdir()
    Image.fromarray(photo).save(tmp_path / "photos" / "astronaut.jpg", quality=95)
    Image.fromarray(np.ascontiguousarray(photo[:, ::-1])).save(tmp_path / "photos" / "mirrored.jpg", quality=95)
    return tmp_path


def _text_written(folder: Path, before: set[Path]) -> str:
    texts = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path not in before and path.suffix in {".json", ".jsonl", ".txt", ".csv"}:
            texts.append(path.read_text(errors="replace"))
    return "\n".join(texts)


@pytest.mark.slow
@pytest.mark.parametrize("command", usage_commands())
def test_usage_command_runs(command, readme_cache, workdir):
    program, arguments = program_of(command)
    kind = kind_of(program)
    assert kind is not None, f"{program} is not classified (see test_every_usage_command_is_classified)"
    env = subprocess_env(readme_cache)
    if kind == "help":
        target = ["-m", program] if not program.endswith(".py") else [str(REPO / program)]
        done = subprocess.run([sys.executable, *target, "--help"], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=COMMAND_TIMEOUT_S)
        assert done.returncode == 0, f"{program} --help failed:\n{done.stderr[-3000:]}"
        assert "usage:" in done.stdout, done.stdout[-2000:]
        flags = [a.split("=", 1)[0] for a in arguments if a.startswith("--")]
        unknown = [f for f in flags if f not in done.stdout]
        assert not unknown, f"the README gives {program} flags its --help does not know: {unknown}"
        return
    before = set(workdir.rglob("*"))
    shell = PYTHON.sub(lambda m: m.group("env") + shlex.quote(sys.executable), command, count=1)
    done = subprocess.run(["bash", "-c", shell], cwd=workdir, env=env, capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT_S)
    assert done.returncode == 0, f"{command!r} exited {done.returncode}:\n{done.stderr[-3000:]}"
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    if any(p in command for p in PLACEHOLDERS):
        said = done.stdout + _text_written(workdir, before)
        assert "trained on" in said, f"{command!r} gave no answer naming a model:\n{said[-2000:]}"


# -- the gradio_client example, against the live app ---------------------------------


@pytest.fixture(scope="module")
def live_url(readme_cache, tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("readme-app") / "app.log"
    env = subprocess_env(readme_cache)
    env.pop("GRADIO_SERVER_NAME", None)
    with open(log, "w") as out:
        process = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=REPO, env=env,
                                   stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + APP_START_TIMEOUT_S
        while True:
            assert process.poll() is None, f"app.py exited:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"app.py did not answer:\n{log.read_text()[-3000:]}"
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def client_example() -> str:
    blocks = [b for b in code_blocks("python") if "gradio_client" in b]
    assert len(blocks) == 1, "the README should hold one gradio_client example"
    return blocks[0]


@pytest.mark.slow
def test_gradio_client_example_runs_against_the_live_app(live_url, workdir):
    code = client_example()
    assert f'"{README_URL}"' in code, "the example should connect to the app's default address"
    code = code.replace(f'"{README_URL}"', repr(live_url))
    done = subprocess.run([sys.executable, "-c", code], cwd=workdir, capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-3000:]
    # Past gradio_client's own "Loaded as API" line, one line per answer, each naming its training data.
    lines = [line for line in done.stdout.strip().splitlines() if not line.startswith("Loaded as API")]
    assert lines and all("trained on" in line for line in lines), done.stdout


@pytest.mark.slow
def test_every_api_name_and_keyword_the_readme_gives_exists(live_url):
    from gradio_client import Client

    api = Client(live_url, verbose=False).view_api(return_format="dict", print_info=False)["named_endpoints"]
    code = client_example()
    endpoints = set(re.findall(r'api_name="(/\w+)"', code))
    section = readme_text().split("## The /ask API", 1)[1].split("\n## ", 1)[0]
    endpoints |= set(re.findall(r"`(/\w+)`", section))
    assert endpoints >= {"/ask"}
    missing = sorted(endpoints - set(api))
    assert not missing, f"the README names endpoints the app does not serve: {missing}"
    parameters = {p["parameter_name"] for p in api["/ask"]["parameters"]}
    keywords = set(re.findall(r"\b([a-z_]+)=", code)) - {"api_name"}
    assert keywords, "the example names no /ask keyword"
    unknown = sorted(keywords - parameters)
    assert not unknown, f"/ask has no parameters {unknown}; it has {sorted(parameters)}"
