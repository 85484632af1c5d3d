"""Intent quality on the held-out split (tests/nlu/, never trained on), with `rasa test nlu`
on the trained model: macro-F1 >= 0.95 overall and >= 0.93 on Vietnamese without diacritics."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from knowledge.text import fold
from tests.conftest import rasa_env

REPO = Path(__file__).resolve().parents[1]
MODEL = REPO / "models" / "assistant.tar.gz"


def macro_f1(heldout: str, out: Path) -> float:
    subprocess.run(
        [
            str(REPO / ".venv-rasa/bin/rasa"),
            "test",
            "nlu",
            "--nlu",
            f"tests/nlu/{heldout}",
            "--model",
            str(MODEL),
            "--out",
            str(out),
            "--no-plot",
        ],
        cwd=REPO,
        env=rasa_env(out),
        check=True,
        capture_output=True,
        timeout=600,
    )
    return json.loads((out / "intent_report.json").read_text())["macro avg"]["f1-score"]


@pytest.mark.parametrize("heldout, floor", [("heldout.yml", 0.95), ("heldout_nodiac.yml", 0.93)])
def test_intent_macro_f1_on_held_out_split(tmp_path, heldout, floor):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make setup` (make test does it for you)")
    assert macro_f1(heldout, tmp_path) >= floor


def test_held_out_examples_are_not_training_examples():
    """Not even with other accents, case or punctuation."""

    def examples(folder: Path, pattern: str) -> set[str]:
        found = set()
        for path in folder.glob(pattern):
            for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
                for line in item.get("examples", "").splitlines() if "intent" in item else []:
                    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line.strip()[2:])
                    found.add(re.sub(r"[^a-z0-9 ]", "", fold(text)).strip())
        return found

    assert not examples(REPO / "data" / "nlu", "*.yml") & examples(REPO / "tests" / "nlu", "heldout.yml")
