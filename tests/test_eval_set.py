"""The retrieval dev set is only worth its figures if it is sound and kept apart from what we index."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest

from knowledge.curated import load_curated
from knowledge.text import fold

EVAL = Path(__file__).resolve().parents[1] / "knowledge" / "eval"
QUESTIONS = EVAL / "questions.jsonl"
FRESH = EVAL / "fresh.jsonl"  # written apart; read for tuning since session 9 (knowledge/eval/FRESH.md)
FRESH2 = EVAL / "fresh2.jsonl"  # held out: written apart, reported on only
VARIANTS = {"vi", "vi_nodiac", "colloquial", "en", "oos", "vague"}


def language(q: dict) -> str:
    """vi / vi_nodiac / en …: the variant, or for a vague question its `lang`."""
    return q.get("lang", q["variant"])


@pytest.fixture(scope="module")
def questions() -> list[dict]:
    return [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_shape_and_counts(questions):
    counts = Counter(q["variant"] for q in questions)
    assert set(counts) == VARIANTS
    assert len(questions) >= 200
    assert min(counts.values()) >= 30
    assert len({q["id"] for q in questions}) == len(questions)
    assert len({q["query"] for q in questions}) == len(questions)
    for q in questions:
        assert (q["variant"] == "oos") == (q["codes"] == []), q["id"]
        if q["variant"] == "vague":  # a family of procedures: several to choose from
            assert len(q["codes"]) >= 2 and q["lang"] in ("vi", "vi_nodiac", "en"), q["id"]
        if language(q) == "vi_nodiac":
            assert fold(q["query"]) == " ".join(q["query"].lower().split()), q["id"]


def test_twins_share_their_labels(questions):
    pairs: dict[str, list[dict]] = {}
    for q in questions:
        if "pair" in q:
            pairs.setdefault(q["pair"], []).append(q)
    assert len(pairs) >= 30
    for twins in pairs.values():
        assert sorted(language(t) for t in twins) == ["vi", "vi_nodiac"]
        assert twins[0]["codes"] == twins[1]["codes"]


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("path", [QUESTIONS, FRESH, FRESH2], ids=["dev", "fresh", "fresh2"])
def test_eval_questions_are_not_in_our_indexed_knowledge(path):
    """Overlay questions and aliases are indexed; an eval question copied there would inflate the figures."""
    questions = _read(path)
    indexed = {
        fold(text)
        for p in load_curated()
        for text in [*p.overlay.questions_vi, *p.overlay.questions_en, *p.overlay.aliases]
    }
    leaked = [q["query"] for q in questions if fold(q["query"]) in indexed]
    assert not leaked


@pytest.mark.catalog
@pytest.mark.parametrize("path", [QUESTIONS, FRESH, FRESH2], ids=["dev", "fresh", "fresh2"])
def test_every_label_is_a_real_catalog_code(path, catalog_path):
    questions = _read(path)
    with gzip.open(catalog_path, "rt", encoding="utf-8") as lines:
        codes = {json.loads(line)["ma_thu_tuc"] for line in lines}
    unknown = sorted({c for q in questions for c in q["codes"]} - codes)
    assert not unknown


def test_the_held_out_set_is_well_formed():
    questions = _read(FRESH2)
    assert len(questions) >= 150 and len({q["id"] for q in questions}) == len({q["query"] for q in questions}) == len(
        questions
    )
    assert {q["variant"] for q in questions} <= VARIANTS
    assert all(fold(q["query"]) == q["query"].lower() for q in questions if q["variant"] == "vi_nodiac")
    assert all(bool(q["codes"]) == (q["variant"] != "oos") for q in questions)
    pairs: dict[str, list[dict]] = {}
    for q in questions:
        if q.get("pair"):
            pairs.setdefault(q["pair"], []).append(q)
    assert pairs and all(len(twins) == 2 and twins[0]["codes"] == twins[1]["codes"] for twins in pairs.values())
