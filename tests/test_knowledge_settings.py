"""knowledge.settings: the KNOWLEDGE_* variables read once, typed, with errors that name the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from knowledge.settings import REPO_ROOT, KnowledgeSettings, get_settings

VARIABLES = ("KNOWLEDGE_INDEX", "EMBEDDING_MODEL", "KNOWLEDGE_QUERY_THREADS", "OMP_NUM_THREADS")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_defaults() -> None:
    s = KnowledgeSettings()
    assert s.index == REPO_ROOT / "var" / "index"
    assert (s.embedding_model, s.query_threads) == (None, 0)


def test_values_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KNOWLEDGE_INDEX", str(tmp_path / "index"))
    monkeypatch.setenv("EMBEDDING_MODEL", "intfloat/multilingual-e5-small")
    monkeypatch.setenv("KNOWLEDGE_QUERY_THREADS", "1")
    s = KnowledgeSettings()
    assert (s.index, s.embedding_model, s.query_threads) == (tmp_path / "index", "intfloat/multilingual-e5-small", 1)
    monkeypatch.setenv("KNOWLEDGE_INDEX", "var/other-index")  # relative: under the repository root
    assert KnowledgeSettings().index == REPO_ROOT / "var" / "other-index"


def test_an_empty_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.setenv(name, "")
    assert KnowledgeSettings() == KnowledgeSettings(index=Path("var/index"))


@pytest.mark.parametrize(
    "name, value",
    [("KNOWLEDGE_QUERY_THREADS", "many"), ("KNOWLEDGE_QUERY_THREADS", "-1")],
)
def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name):
        KnowledgeSettings()


def test_query_threads_follow_omp_num_threads_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """ONNX Runtime does not read OMP_NUM_THREADS itself; the services set it to 1."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert KnowledgeSettings().query_threads == 1
    monkeypatch.setenv("KNOWLEDGE_QUERY_THREADS", "0")
    assert KnowledgeSettings().query_threads == 0


def test_read_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KNOWLEDGE_QUERY_THREADS", "1")
    first = get_settings()
    monkeypatch.setenv("KNOWLEDGE_QUERY_THREADS", "2")
    assert get_settings() is first and first.query_threads == 1
    get_settings.cache_clear()
    assert get_settings().query_threads == 2


def test_the_command_reports_a_bad_setting_by_name(tmp_path: Path) -> None:
    env = {**os.environ, "KNOWLEDGE_QUERY_THREADS": "many"}
    done = subprocess.run(
        [sys.executable, "-m", "knowledge.cli", "search", "--index", str(tmp_path / "index")],
        input="x\n",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=300,
    )
    assert done.returncode == 2 and "KNOWLEDGE_QUERY_THREADS" in done.stderr and "Traceback" not in done.stderr


def test_the_action_server_reads_its_index_through_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import actions.runtime as runtime_module

    monkeypatch.setattr(runtime_module, "_runtime", None)
    monkeypatch.setenv("KNOWLEDGE_INDEX", str(tmp_path / "no-index"))
    status = runtime_module.runtime().status()
    assert status.index == str(tmp_path / "no-index") and not status.knowledge_loaded
    assert status.error and "knowledge build" in status.error  # the InvalidIndex message, not an exception
