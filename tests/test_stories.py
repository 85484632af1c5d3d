"""End-to-end test stories (tests/stories/) with `rasa test core`: NLU and policies together."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.conftest import rasa_env

REPO = Path(__file__).resolve().parents[1]
STORIES = REPO / "tests" / "stories" / "conversations.yml"


def test_at_least_20_conversations_all_pass(tmp_path):
    assert len(yaml.safe_load(STORIES.read_text(encoding="utf-8"))["stories"]) >= 20
    result = subprocess.run(
        [
            str(REPO / ".venv-rasa/bin/rasa"),
            "test",
            "core",
            "--stories",
            str(STORIES),
            "--model",
            str(REPO / "models" / "assistant.tar.gz"),
            "--out",
            str(tmp_path),
            "--no-plot",
        ],
        cwd=REPO,
        env=rasa_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    failed = tmp_path / "failed_test_stories.yml"
    failures = failed.read_text(encoding="utf-8") if failed.exists() else ""
    assert "story:" not in failures, failures[:4000]
