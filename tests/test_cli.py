"""The `knowledge` command through a real subprocess: build, search --jsonl, eval."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge.index import BuildReport
from tests.test_index import curated_index, embedder  # noqa: F401  (session fixtures)

REPO = Path(__file__).resolve().parents[1]


def knowledge(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "knowledge.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=900,
    )


def test_build_prints_a_summary_and_reuses_the_cache(curated_index: tuple[Path, BuildReport]) -> None:  # noqa: F811
    index_dir = curated_index[0].parent / "cli-built"  # same parent: shares the embedding cache
    done = knowledge("build", "--index", str(index_dir))
    assert done.returncode == 0, done.stderr
    assert "procedures" in done.stdout and f"({curated_index[1].embedded} from cache)" in done.stdout
    assert (index_dir / "manifest.json").is_file()
    again = knowledge("build", "--index", str(index_dir))
    assert again.returncode == 0 and "up to date" in again.stdout


def test_search_jsonl_contract(curated_index: tuple[Path, BuildReport]) -> None:  # noqa: F811
    queries = ["làm giấy khai sinh cho con", "", "đăng ký kết hôn " * 400, "how do I register a marriage"]
    done = knowledge("search", "--index", str(curated_index[0]), "--k", "3", "--jsonl", stdin="\n".join(queries) + "\n")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == len(queries)
    results = [json.loads(line) for line in lines]
    for query, result in zip(queries, results):
        assert set(result) == {"query", "decision", "hits"} and result["query"] == query
        assert result["decision"] in ("answer", "clarify", "no_answer")
        scores = [h["score"] for h in result["hits"]]
        assert scores == sorted(scores, reverse=True)
        assert all(set(h) == {"code", "title", "score"} for h in result["hits"])
    assert results[0]["hits"][0]["code"] == "1.001193" and len(results[0]["hits"]) == 3
    assert results[1] == {"query": "", "decision": "no_answer", "hits": []}
    assert results[2]["hits"] and results[3]["hits"][0]["code"] == "1.000894"


def test_eval_prints_metrics(curated_index: tuple[Path, BuildReport], tmp_path: Path) -> None:  # noqa: F811
    questions = tmp_path / "q.jsonl"
    rows = [
        {"id": "q1", "query": "đăng ký khai sinh", "variant": "vi", "codes": ["1.001193"]},
        {"id": "q2", "query": "dang ky ket hon", "variant": "vi_nodiac", "codes": ["1.000894"]},
        {"id": "q3", "query": "công thức nấu phở", "variant": "oos", "codes": []},
    ]
    questions.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    done = knowledge("eval", "--index", str(curated_index[0]), "--questions", str(questions))
    assert done.returncode == 0, done.stderr
    assert "hit@1" in done.stdout and "MRR" in done.stdout and "out of scope" in done.stdout
    all_row = next(line for line in done.stdout.splitlines() if line.startswith("all "))
    assert all_row.split()[1:4] == ["2", "1.000", "1.000"]  # n, hit@1, hit@3


def test_missing_index_fails_clearly(tmp_path: Path) -> None:
    done = knowledge("search", "--index", str(tmp_path / "nothing"), "--jsonl", stdin="x\n")
    assert done.returncode != 0 and "knowledge build" in done.stderr


@pytest.mark.parametrize("args", [["--help"], ["build", "--help"], ["search", "--help"], ["eval", "--help"]])
def test_help(args: list[str]) -> None:
    assert knowledge(*args).returncode == 0
