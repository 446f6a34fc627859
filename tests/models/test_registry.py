"""The registry: cards and tiny generated models on disk, order, lazy loading, errors."""
from __future__ import annotations

import json

import pytest

from models.labels import FAIRFACE_GENDER
from models.registry import load_registry
from tests.models.zoo_helpers import make_card, save
from tests.tiny_models import tiny_model


def test_user_fairface_models_come_first_then_cache_then_synthetic(zoo, monkeypatch):
    user, cache = zoo
    monkeypatch.setenv("FACEXAI_CACHE", str(cache))
    registry = load_registry([user])
    names = [m.name for m in registry.for_attribute("race")]
    assert names == ["fairface_race", "fairface_race_biased", "gear-race", "synthetic_race"]
    assert registry.attributes() == ("race", "gender")
    assert [m.origin for m in registry.for_attribute("gender")] == ["cache"]
    assert registry.problems == []
    assert not load_registry([user], include_cache=False).for_attribute("gender")
    with pytest.raises(ValueError, match="attribute"):
        registry.for_attribute("emotion")


def test_listing_does_not_import_tensorflow(zoo, run_python):
    user, cache = zoo
    code = (
        "import os, sys; os.environ['FACEXAI_CACHE'] = sys.argv[2];"
        "from models.registry import load_registry;"
        "r = load_registry([sys.argv[1]]); assert len(r) == 5, len(r);"
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"
    )
    out = run_python("-c", code, user, cache)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_mismatched_corrupt_and_cardless_files_are_skipped_with_reasons(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEXAI_CACHE", str(tmp_path / "no-cache"))
    good = make_card("good", "gender", FAIRFACE_GENDER)
    save(tmp_path, good, tiny_model(2))
    save(tmp_path, make_card("three_labels", "gender", ("Male", "Female", "Other")), tiny_model(2))
    save(tmp_path, make_card("wrong_size", "gender", FAIRFACE_GENDER), tiny_model(2, size=24))
    (tmp_path / "garbage.keras").write_bytes(b"this is not a zip file")
    good.save(tmp_path / "garbage.json")
    (tmp_path / "cardless.keras").write_bytes((tmp_path / "good.keras").read_bytes())
    (tmp_path / "badcard.keras").write_bytes((tmp_path / "good.keras").read_bytes())
    (tmp_path / "badcard.json").write_text("{not json")
    with pytest.warns(UserWarning):
        registry = load_registry([tmp_path, tmp_path / "missing"])
    assert [m.name for m in registry] == ["good"]
    problems = "\n".join(registry.problems)
    assert "outputs 2 classes but its card lists 3 labels" in problems
    assert "takes 24x24 inputs but its card says 16x16" in problems
    assert "corrupt .keras file" in problems
    assert "no model card" in problems and "unreadable model card" in problems
    assert "no such folder" in problems
    # The duplicate-name check: "garbage" reused good's card but failed first.
    assert len(registry.problems) == 6


def test_duplicate_names_keep_the_user_folder(zoo, tmp_path, monkeypatch):
    user, cache = zoo
    monkeypatch.setenv("FACEXAI_CACHE", str(cache))
    shadow = tmp_path / "shadow"
    save(shadow, make_card("dlib-gender", "gender", FAIRFACE_GENDER, "my own data"), tiny_model(2))
    with pytest.warns(UserWarning, match="already taken"):
        registry = load_registry([shadow])
    assert registry.get("dlib-gender").card.training_data == "my own data"


def test_cli_lists_models_in_answer_order_with_provenance(zoo, monkeypatch, capsys):
    from models.__main__ import main

    user, cache = zoo
    monkeypatch.setenv("FACEXAI_CACHE", str(cache))
    assert main(["list", "--models", str(user)]) == 0
    text = capsys.readouterr().out
    race = text[text.index("race:") : text.index("gender:")]
    order = [race.index(name) for name in ("fairface_race ", "fairface_race_biased", "gear-race", "synthetic_race")]
    assert order == sorted(order)
    assert "SYNTHETIC" in race and "trained on: UTKFace" in race
    assert "age: no model" in text

    assert main(["list", "--models", str(user), "--no-cache", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [m["name"] for m in listed["models"]] == ["fairface_race", "fairface_race_biased", "synthetic_race"]
    assert listed["models"][0]["origin"] == "user" and listed["problems"] == []


def test_cli_says_how_to_get_models_when_there_are_none(tmp_path, monkeypatch, capsys):
    from models.__main__ import main

    monkeypatch.setenv("FACEXAI_CACHE", str(tmp_path))
    assert main(["list"]) == 0
    assert "python -m models import" in capsys.readouterr().out
