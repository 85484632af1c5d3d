"""Unanswered questions grouped by meaning (analytics/similar.py): the grouping itself on vectors
we choose, and on the real index, where one question typed with and without accents is one group
and a different question stays apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from analytics.similar import SAME_QUESTION, Group, RememberedVectors, group_similar
from knowledge.search.knowledge_base import KnowledgeBase

INDEX = Path(__file__).resolve().parents[1] / "var" / "index"


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_close_questions_join_the_most_asked_wording_and_far_ones_stay_apart() -> None:
    vectors = {"a": unit(1, 0, 0), "a2": unit(1, 0.05, 0), "b": unit(0, 1, 0), "c": unit(0.7, 0.7, 0)}
    groups = group_similar(
        [("a2", 1), ("b", 2), ("a", 3), ("c", 1)], lambda texts: np.stack([vectors[t] for t in texts])
    )
    assert groups == [Group("a", 4, [("a", 3), ("a2", 1)]), Group("b", 2, [("b", 2)]), Group("c", 1, [("c", 1)])]


def test_without_vectors_every_question_is_its_own_group() -> None:
    assert group_similar([("x", 1), ("y", 5)], None) == [Group("y", 5, [("y", 5)]), Group("x", 1, [("x", 1)])]


def test_remembered_vectors_embed_each_text_once_per_index_build() -> None:
    asked: list[list[str]] = []

    def embed(texts: list[str]) -> np.ndarray:
        asked.append(texts)
        return np.stack([unit(len(t), 1.0, 0.0) for t in texts])

    remembered = RememberedVectors(size=3)
    first = remembered.embed("build-1", embed)(["a", "bb", "a"])
    again = remembered.embed("build-1", embed)(["bb", "ccc"])
    remembered.embed("build-2", embed)(["a"])  # a new index: its own vectors
    assert asked == [["a", "bb"], ["ccc"], ["a"]]
    assert np.allclose(first[0], first[2]) and np.allclose(first[1], again[0])


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    if not (INDEX / "manifest.json").exists():
        pytest.fail(f"{INDEX} is missing: run `make setup` (make test does it for you)")
    return KnowledgeBase(INDEX)


def test_on_the_real_index_accents_do_not_split_a_question_and_topics_do(knowledge: KnowledgeBase) -> None:
    asked = [
        ("xin giấy phép nuôi rồng ở sao hỏa", 3),
        ("xin giay phep nuoi rong o sao hoa", 2),
        ("đăng ký khai sinh cho con", 2),
        ("dang ky khai sinh cho con", 1),
        ("đăng ký kết hôn với người nước ngoài", 1),
    ]
    groups = group_similar(asked, knowledge.question_vectors)
    assert [(g.text, g.count) for g in groups] == [
        ("xin giấy phép nuôi rồng ở sao hỏa", 5),
        ("đăng ký khai sinh cho con", 3),
        ("đăng ký kết hôn với người nước ngoài", 1),
    ]
    vectors = knowledge.question_vectors(["đăng ký khai sinh cho con", "đăng ký kết hôn với người nước ngoài"])
    assert float(vectors[0] @ vectors[1]) < SAME_QUESTION
