"""app/cli.py and `python app.py`: the options and their defaults, the share check,
arguments refused before anything loads; as a subprocess (slow: each starts Python and
the app's imports), usage only for --help and one line for a port in use."""
from __future__ import annotations

import socket

from app import cli


def test_cli_defaults_follow_the_space_environment(monkeypatch):
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "7999")
    args = cli.build_parser().parse_args([])
    assert (args.host, args.port, args.share, args.models, args.vqa_model) == ("0.0.0.0", 7999, False, None, None)
    args = cli.build_parser().parse_args(["--port", "8000", "--share", "--models", "m", "--vqa-model", "dandelin/vilt"])
    assert (args.port, args.share, str(args.models), args.vqa_model) == (8000, True, "m", "dandelin/vilt")


def test_share_check_tells_an_open_port_from_a_closed_one():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert cli.share_server_reachable(listener.getsockname(), timeout=2)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        address = closed.getsockname()  # bound, never listening: refused
        assert not cli.share_server_reachable(address, timeout=2)


def test_share_without_internet_says_so_and_serves_locally(monkeypatch, capsys):
    monkeypatch.setattr(cli, "share_server_reachable", lambda *a, **k: False)
    assert cli._share_or_explain() is False
    assert "serving on this machine only" in capsys.readouterr().out


def test_bad_arguments_are_refused_before_anything_loads(tmp_path, capsys):
    assert cli.main(["--models", str(tmp_path / "missing")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert cli.main(["--concurrency", "0"]) == 2


def test_the_retention_is_a_setting_with_a_sane_default(capsys):
    assert cli.build_parser().parse_args([]).retention == 900
    assert cli.build_parser().parse_args(["--retention", "2"]).retention == 2
    assert cli.main(["--retention", "0"]) == 2
    assert "--retention" in capsys.readouterr().err


def test_app_help_prints_usage_and_nothing_else(run_python):
    done = run_python("app.py", "--help", timeout=120)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith("usage: python app.py") and "--retention SECONDS" in done.stdout


def test_a_port_in_use_is_one_readable_line_and_exit_status_1(tmp_path, run_python):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_python("app.py", "--port", port, "--no-pretrained", env={"FACEXAI_CACHE": str(tmp_path / "cache")})
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"cannot serve on 127.0.0.1:{port}: "), done.stderr
    assert "Traceback" not in done.stderr + done.stdout
