"""Retrieval benchmark on the real catalog: quality of BM25 alone, dense alone and our hybrid,
plus build, load and search speed and memory, printed as one table.

    python bench/bench_retrieval.py [--catalog PATH] [--questions FILE] [--workdir DIR] [--keep-copies]

Steps: a cold build (empty embedding cache) into a temporary folder, the same build again
(nothing changed), a forced rebuild (every passage from the cache), then a fresh process that
loads the index, answers every dev question twice (timing the second, warm pass) and reports
its RSS. By default, overlay texts that copy a dev question are left out of the index
(`build --holdout`), so the figures measure retrieval rather than recall of our own examples.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_CATALOG = REPO.parent / "shared" / "data" / "dvc-procedures-2026.jsonl.gz"


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def probe(index_dir: Path, questions_path: Path) -> dict:
    """Runs in a fresh process: load, evaluate three rankings, time warm searches."""
    import numpy as np

    start = time.perf_counter()
    from knowledge.index import load_index
    from knowledge.search import query_encoder

    embedder = query_encoder()  # as the action server loads it
    model_s = time.perf_counter() - start
    t = time.perf_counter()
    load_index(index_dir)  # timed on its own: the files only
    index_s = time.perf_counter() - t
    from knowledge.evaluate import load_questions, metrics, run
    from knowledge.search import KnowledgeBase, RankParams

    t = time.perf_counter()
    kb = KnowledgeBase(index_dir, embedder=embedder)
    kb_s = time.perf_counter() - t
    questions = load_questions(questions_path)
    ours = metrics(run(kb.search, questions))
    latencies, cpu = [], []
    for q in questions:
        t, c = time.perf_counter(), time.process_time()
        kb.search(q.query)
        latencies.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    ranker = kb.ranker
    default = ranker.params
    ablations = {
        "bm25": RankParams(dense=0, cover_name=0, cover_all=0, bm25=1, level=0, curated=0),
        "dense": RankParams(dense=1, cover_name=0, cover_all=0, bm25=0, level=0, curated=0),
    }
    out = {"ours": ours}
    for name, params in ablations.items():
        ranker.params = params
        out[name] = metrics(run(kb.search, questions))
    ranker.params = default
    return {
        **out,
        "model_load_s": model_s,
        "index_load_s": index_s,
        "kb_load_s": kb_s,
        "p50_ms": float(np.percentile(latencies, 50) * 1000),
        "p95_ms": float(np.percentile(latencies, 95) * 1000),
        "cpu_p50_ms": float(np.percentile(cpu, 50) * 1000),
        "cpu_p95_ms": float(np.percentile(cpu, 95) * 1000),
        "rss_mb": _rss_mb(),
        "query_runtime": embedder.runtime,
        "torch_loaded": "torch" in sys.modules,
    }


def _row(name: str, m: dict) -> str:
    a, oos = m["all"], m["oos"]
    pairs = m.get("pairs", {})
    en = m.get("en", {"hit@1": float("nan"), "hit@3": float("nan")})
    return (
        f"| {name:<28} | {a['hit@1']:.3f} | {a['hit@3']:.3f} | {a['mrr']:.3f} | {pairs.get('vi hit@1', float('nan')):.3f} "
        f"| {pairs.get('nodiac hit@1', float('nan')):.3f} | {en['hit@1']:.3f} | {en['hit@3']:.3f} "
        f"| {oos['answered'] * 100:5.1f} | {a['no_answer'] * 100:5.1f} "
        f"| {m.get('vague', {}).get('answered', float('nan')) * 100:5.1f} |"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--catalog", default=str(DEFAULT_CATALOG))
    ap.add_argument("--questions", default=str(REPO / "knowledge" / "eval" / "questions.jsonl"))
    ap.add_argument("--workdir", help="where to build (default: a temporary folder, removed after)")
    ap.add_argument("--keep-copies", action="store_true", help="keep overlay texts that copy dev questions")
    ap.add_argument("--probe", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.probe:
        print(json.dumps(probe(Path(args.probe), Path(args.questions))))
        return 0
    if not Path(args.catalog).is_file():
        print(f"catalog not found: {args.catalog}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-retrieval-") as tmp:
        return _bench(args, Path(args.workdir or tmp))


def _bench(args: argparse.Namespace, work: Path) -> int:
    from knowledge.evaluate import load_questions
    from knowledge.index import build_index

    index_dir = work / "index"
    holdout = [] if args.keep_copies else [q.query for q in load_questions(Path(args.questions))]
    log = lambda msg: print(f"  {msg}", file=sys.stderr)  # noqa: E731
    print("cold build…", file=sys.stderr)
    load_before = os.getloadavg()[0]
    cpu = time.process_time()
    cold = build_index(index_dir, [Path(args.catalog)], cache_dir=work / "cache", holdout=holdout, force=True, log=log)
    cold_cpu = time.process_time() - cpu
    warm = build_index(index_dir, [Path(args.catalog)], cache_dir=work / "cache", holdout=holdout, log=log)
    cached = build_index(
        index_dir, [Path(args.catalog)], cache_dir=work / "cache", holdout=holdout, force=True, log=log
    )
    print("probing a fresh process…", file=sys.stderr)
    done = subprocess.run(
        [sys.executable, __file__, "--probe", str(index_dir), "--questions", args.questions],
        capture_output=True,
        text=True,
        check=True,
    )
    p = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"\nRetrieval on the real catalog ({cold.procedures} procedures, {cold.chunks} chunks, "
        f"{cold.embedded} embedded), dev set {args.questions}"
        + ("" if args.keep_copies else "; overlay copies of dev questions left out")
    )
    print(
        "| ranking                      | hit@1 | hit@3 |  MRR  | vi@1  | nodiac@1 | en@1 | en@3 | OOS ans % "
        "| in no_ans % | vague ans % |"
    )
    print(
        "|------------------------------|-------|-------|-------|-------|----------|------|------|-----------"
        "|-------------|-------------|"
    )
    print(_row("BM25 alone (folded+glossary)", p["bm25"]))
    print(_row("dense alone (e5, restored)", p["dense"]))
    print(_row("ours (hybrid + decision)", p["ours"]))
    print(
        f"\nbuild: cold {cold.seconds:.1f} s ({cold_cpu:.0f} s of CPU over {os.cpu_count()} cores), "
        f"nothing changed {warm.seconds:.1f} s, forced with every passage cached {cached.seconds:.1f} s"
    )
    print(
        f"load: model {p['model_load_s']:.1f} s (imports included), index files {p['index_load_s']:.2f} s, "
        f"engine over loaded files {p['kb_load_s']:.2f} s"
    )
    print(
        f"search (warm, one query at a time): p50 {p['p50_ms']:.1f} ms, p95 {p['p95_ms']:.1f} ms wall; "
        f"CPU time p50 {p['cpu_p50_ms']:.1f} ms, p95 {p['cpu_p95_ms']:.1f} ms | RSS {p['rss_mb']:.0f} MB | "
        f"query model in {p['query_runtime']}" + (" (torch loaded)" if p["torch_loaded"] else " (torch not loaded)")
    )
    print(
        f"machine load average (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after (other "
        "processes on the same cores slow every wall time; CPU times add up all of the model's threads)"
    )
    print(
        "(vi@1 / nodiac@1: the twin pairs, same question with and without diacritics; vague: broad "
        'questions like "chứng thực" that should be asked back, answered outright instead; the decision '
        "columns are meaningful for ours only: the ablations keep its calibration)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
