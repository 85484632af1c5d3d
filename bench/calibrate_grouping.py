"""Where analytics/similar.py's SAME_QUESTION comes from.

    .venv/bin/python bench/calibrate_grouping.py [--index var/index]

Every pair of questions in an evaluation set is compared as the dashboard compares unanswered
questions (KnowledgeBase.question_vectors). A pair is "right" to group when it is the same question
(one `pair` id: typed with and without accents) or asks about a procedure in common. Pick the
threshold on the dev set (questions.jsonl), read it on the fresh sets (fresh.jsonl, and fresh2.jsonl,
held out since session 9).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from knowledge.search.knowledge_base import KnowledgeBase  # noqa: E402

THRESHOLDS = (0.90, 0.92, 0.94, 0.945, 0.95, 0.955, 0.96)


def table(knowledge: KnowledgeBase, path: Path) -> None:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    vectors = knowledge.question_vectors([r["query"] for r in rows])
    upper = np.triu_indices(len(rows), 1)
    sims = (vectors @ vectors.T)[upper]
    same = np.array([[bool(a.get("pair")) and a.get("pair") == b.get("pair") for b in rows] for a in rows])[upper]
    shared = np.array([[bool(set(a.get("codes") or []) & set(b.get("codes") or [])) for b in rows] for a in rows])
    right = same | shared[upper]
    print(f"\n{path.name}: {len(rows)} questions, {int(same.sum())} same-question pairs")
    print("threshold  pairs  right  same-question pairs grouped")
    for threshold in THRESHOLDS:
        grouped = sims >= threshold
        precision = float(right[grouped].mean()) if grouped.any() else float("nan")
        recall = float((grouped & same).sum() / max(int(same.sum()), 1))
        print(f"{threshold:9.3f}  {int(grouped.sum()):5d}  {precision:5.2f}  {recall:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=REPO / "var" / "index")
    args = parser.parse_args()
    knowledge = KnowledgeBase(args.index)
    for name in ("questions.jsonl", "fresh.jsonl", "fresh2.jsonl"):
        table(knowledge, REPO / "knowledge" / "eval" / name)


if __name__ == "__main__":
    main()
