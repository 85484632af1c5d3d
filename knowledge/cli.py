"""`knowledge` command: build an index, search it, evaluate it.

    knowledge build [--source EXPORT.jsonl[.gz] …] --index DIR
    knowledge search --index DIR [--k 5] [--jsonl]   (queries on stdin, one per line)
    knowledge eval --index DIR [--questions FILE ...] [--with-guides] [--calibrate] [--write]

The output of `search --jsonl` is a stable contract (quality checks read it):
one JSON object per input line, {"query", "decision", "hits": [{"code", "title", "score"}]}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.search.decision import DecisionModel

DEFAULT_INDEX = Path("var/index")


def build_sources(index_dir: Path, given: list[str] | None, setting: str | None) -> list[Path]:
    """What to merge under the curated knowledge: `--source`, else KNOWLEDGE_SOURCE ("none": nothing),
    else what the index was built from, so a rebuild (e.g. `make run` after an edit) keeps the
    catalog the user imported instead of silently dropping it."""
    from knowledge.index import read_manifest

    if given:
        return [Path(s) for s in given]
    if setting:
        return [] if setting.strip().lower() == "none" else [Path(s) for s in setting.split(":") if s.strip()]
    recorded = (read_manifest(index_dir) or {}).get("sources") or []
    return [Path(s) for s in recorded]


def _build(args: argparse.Namespace) -> int:
    from knowledge.index import build_index
    from knowledge.settings import get_settings

    holdout = _holdout_texts(args.holdout) if args.holdout else ()
    sources = build_sources(Path(args.index), args.source, get_settings().source)
    missing = [s for s in sources if not s.is_file()]
    if missing:
        print(f"knowledge: catalog source {missing[0]} not found (set KNOWLEDGE_SOURCE, or none)", file=sys.stderr)
        return 2
    if sources and not args.source:
        print(
            f"catalog source: {', '.join(map(str, sources))} (KNOWLEDGE_SOURCE=none for curated only)", file=sys.stderr
        )
    report = build_index(
        Path(args.index),
        sources,
        model_name=args.model,
        force=args.force,
        holdout=holdout,
        log=lambda m: print(m, file=sys.stderr),
    )
    print(report.summary())
    return 0


def _holdout_texts(path: str) -> list[str]:
    from knowledge.evaluate import load_questions

    return [q.query for q in load_questions(Path(path))]


def _search(args: argparse.Namespace) -> int:
    from knowledge.search import KnowledgeBase

    kb = KnowledgeBase(Path(args.index))
    for line in sys.stdin:
        query = line.rstrip("\r\n")
        result = kb.search(query, k=args.k)
        if args.jsonl:
            print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
        else:
            print(f"{result.decision}: {query}")
            for h in result.hits:
                print(f"  {h.score:7.3f}  {h.code:<10} {h.title}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    from knowledge.evaluate import (
        DEFAULT_QUESTIONS,
        MAX_OOS_ANSWERED,
        MAX_OOS_ANSWERED_CURATED,
        calibrate,
        format_metrics,
        load_questions,
        metrics,
        redecide,
        restrict,
        run,
        split_check,
        with_referrals,
    )
    from knowledge.guides import load_guides
    from knowledge.index import decision_path
    from knowledge.search import KnowledgeBase

    kb = KnowledgeBase(Path(args.index))
    files = [Path(f) for f in args.questions] if args.questions else [DEFAULT_QUESTIONS]
    questions = [q for f in files for q in load_questions(f)]
    curated_only = not kb.manifest.get("sources")
    if curated_only:  # our curated procedures alone: questions about the rest are out of scope here
        questions = restrict(questions, {p.code for p in kb.procedures})
        print(f"curated index: labels restricted to its {kb.manifest.get('procedures')} procedures")
    start = time.perf_counter()
    outcomes = run(with_referrals(kb.search, load_guides()) if args.with_guides else kb.search, questions)
    per_query = (time.perf_counter() - start) / max(len(questions), 1)
    print(format_metrics(metrics(outcomes)))
    print(f"{len(questions)} questions, {per_query * 1000:.1f} ms per query")
    if args.calibrate or args.write:
        limit = MAX_OOS_ANSWERED_CURATED if curated_only else MAX_OOS_ANSWERED
        fitted, even, odd = split_check(outcomes, limit)
        print(f"\nfit on even ids: {fitted.to_dict()}")
        print("even half (fitted on):\n" + format_metrics(even))
        print("odd half (held out):\n" + format_metrics(odd))
        model = calibrate(outcomes, max_oos_answered=limit)
        print(f"\nfit on all: {model.to_dict()}")
        print("all, refitted:\n" + format_metrics(metrics(redecide(outcomes, model))))
        if args.write:
            path = decision_path(curated_only)
            write_decision(model, len(questions), path)
            print(f"wrote {path}; rebuild the index to use it")
    return 0


def write_decision(model: DecisionModel, n: int, path: Path) -> None:
    import yaml

    header = (
        "# Decision model fitted by `knowledge eval --calibrate --write` on the dev set\n"
        f"# ({n} questions) with an index {'of our curated procedures only' if 'curated' in path.name else 'with the national catalog'};\n"
        "# see knowledge/evaluate.py for the procedure. Copied into each such index's manifest at build time.\n"
    )
    body = yaml.safe_dump(model.to_dict(), sort_keys=False, allow_unicode=True)
    path.write_text(header + body, encoding="utf-8")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="knowledge", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build or refresh an index folder")
    b.add_argument("--source", action="append", help="national-portal export (.jsonl or .jsonl.gz); repeatable")
    b.add_argument("--index", default=str(DEFAULT_INDEX))
    b.add_argument("--model", help="embedding model (default: $EMBEDDING_MODEL or var/models/…)")
    b.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    b.add_argument("--holdout", help="questions file: leave out overlay texts that copy its questions")
    b.set_defaults(func=_build)
    s = sub.add_parser("search", help="search queries read from stdin, one per line")
    s.add_argument("--index", default=str(DEFAULT_INDEX))
    s.add_argument("--k", type=int, default=5)
    s.add_argument("--jsonl", action="store_true", help="one JSON object per line")
    s.set_defaults(func=_search)
    e = sub.add_parser("eval", help="hit@k, MRR and decisions on a labelled question set")
    e.add_argument("--index", default=str(DEFAULT_INDEX))
    e.add_argument(
        "--questions",
        action="append",
        help="questions file (default: the dev set); repeat to add one, e.g. the review export to the dev set",
    )
    e.add_argument("--calibrate", action="store_true", help="also fit the decision model (half split)")
    e.add_argument(
        "--with-guides",
        action="store_true",
        help="as the assistant answers: questions referred outside the catalog (knowledge/referrals.yaml) get no procedure",
    )
    e.add_argument(
        "--write",
        action="store_true",
        help="also fit on all questions and write the index's decision file: knowledge/decision_curated.yaml "
        "for an index of our curated procedures alone (the default index), knowledge/decision.yaml with the "
        "national catalog",
    )
    e.set_defaults(func=_eval)
    r = sub.add_parser("review", help="real questions labelled in the review queue (analytics/review.py)")
    r.add_argument("action", choices=["export"])
    r.add_argument("--out", default="var/review/questions.jsonl", help="labelled questions, evaluation format")
    r.add_argument("--aliases", default="var/review/alias_suggestions.jsonl", help="alias suggestions for a curator")
    r.set_defaults(func=_review)
    return p


def _review(args: argparse.Namespace) -> int:
    from analytics import review, settings, store

    engine = store.make_engine(settings.database_url())
    questions, aliases = review.export(engine, Path(args.out), Path(args.aliases))
    print(f"{questions} labelled questions → {args.out} (knowledge eval --questions {args.out}); "
          f"{aliases} alias suggestions → {args.aliases}")  # fmt: skip
    return 0


def main(argv: list[str] | None = None) -> int:
    from pydantic import ValidationError

    from knowledge.index import InvalidIndex

    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (InvalidIndex, ValidationError) as exc:  # no index, or a bad KNOWLEDGE_* variable
        print(f"knowledge: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
