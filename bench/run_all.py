"""Run every `bench/bench_*.py` in turn (each in its own process, with this interpreter) and
print their output as it comes; `make bench` calls this. Extra arguments are not passed on:
each benchmark runs with its own defaults.

    python bench/run_all.py [--only NAME ...]

Exit status is non-zero when a benchmark failed; the others still run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def benchmarks(only: list[str]) -> list[Path]:
    found = sorted(BENCH.glob("bench_*.py"))
    return [p for p in found if not only or p.stem in only or p.stem.removeprefix("bench_") in only]


def main() -> int:
    parser = argparse.ArgumentParser(description="Run every bench/bench_*.py in turn.")
    parser.add_argument("--only", nargs="*", default=[], help="names like e2e or bench_retrieval")
    args = parser.parse_args()
    failed: list[str] = []
    for script in benchmarks(args.only):
        print(f"\n######## {script.name} ########", flush=True)
        start = time.monotonic()
        code = subprocess.run([sys.executable, str(script)], cwd=BENCH.parent).returncode
        print(f"######## {script.name}: exit {code}, {time.monotonic() - start:.0f} s ########", flush=True)
        if code:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
