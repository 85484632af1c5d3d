"""The review loop end to end: real questions in, labelled questions out, the engine measured on them.

    .venv/bin/python bench/bench_review_loop.py [--questions knowledge/eval/fresh2.jsonl]

1. Each question of a labelled set we never tuned on (default: the held-out fresh set) is asked in
   its own conversation through the real Rasa and action servers (REST); the turn records are
   written as for any citizen.
2. The review queue (analytics/review.py, what /staff/review shows) lists the questions the
   assistant did not answer well; each is labelled as an admin would, with the set's own label
   (its first procedure, or out of scope).
3. `knowledge review export` writes them; `knowledge eval --questions` measures the engine on them,
   alone and added to the dev set (`--calibrate` prints the decision model refitted on both).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from analytics import review, store  # noqa: E402
from bot.privacy import mask_text  # noqa: E402
from tests.integration.stack import Stack  # noqa: E402

DEV = REPO / "knowledge" / "eval" / "questions.jsonl"


def knowledge(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "knowledge.cli", *args], capture_output=True, text=True, cwd=REPO, env=env, check=True
    )
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=REPO / "knowledge" / "eval" / "fresh2.jsonl")
    args = parser.parse_args()
    asked = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory(prefix="bench-review-") as tmp:
        workdir = Path(tmp)
        stack = Stack.configure(workdir)
        try:
            stack.start("actions")
            stack.start("rasa")
            started = time.perf_counter()
            for question in asked:
                stack.say(f"review-{uuid.uuid4().hex[:12]}", question["query"])
            elapsed = time.perf_counter() - started
        finally:
            stack.stop_all()
        engine = store.make_engine(stack.env["DATABASE_URL"])
        time.sleep(1.0)  # the recorder's last batch
        statuses = Counter(row.status for row in engine.connect().execute(store.turns.select()).all())
        print(f"## {len(asked)} questions of {args.questions.name} asked in {elapsed:.0f} s")
        print("turn statuses: " + ", ".join(f"{k} {v}" for k, v in statuses.most_common()))

        label_of = {mask_text(q["query"]): q for q in asked}
        queue = review.pending(engine, limit=10_000)
        kinds: Counter[str] = Counter()
        for item in queue:
            known = label_of.get(item.text)
            if known is None:
                continue
            codes = known.get("codes") or []
            kind = "procedure" if codes else "out_of_scope"
            review.label(engine, item.text, kind, codes[0] if codes else "", "bench")
            kinds[f"{item.status} -> {kind}"] += 1
        print(f"review queue: {len(queue)} questions; labelled: " + ", ".join(f"{k} {v}" for k, v in kinds.items()))

        env = {**stack.env, "ANALYTICS_DATABASE_URL": stack.env["DATABASE_URL"]}
        out, aliases = workdir / "review.jsonl", workdir / "aliases.jsonl"
        print(knowledge("review", "export", "--out", str(out), "--aliases", str(aliases), env=env).strip())
        index = str(REPO / "var" / "index")
        print(
            "\n### the engine on the labelled real questions\n"
            + knowledge("eval", "--index", index, "--questions", str(out), env=env)
        )
        together = knowledge(
            "eval", "--index", index, "--questions", str(DEV), "--questions", str(out), "--calibrate", env=env
        )
        print("### dev set + labelled real questions, --calibrate\n" + together)


if __name__ == "__main__":
    main()
