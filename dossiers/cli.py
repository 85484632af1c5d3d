"""``dossiers`` command: import files, fill demo data, try a lookup.

    dossiers import FILE [--format jsonl|csv]      # bad rows listed, good rows kept
    dossiers demo [--count N] [--seed S]           # made-up Bắc Ninh dossiers
    dossiers lookup CODE DIGITS [--lang vi|en]     # as the bot would (last 6 ID digits)

The database comes from DATABASE_URL (default: SQLite at var/dossiers.sqlite).
Exit codes: 0 ok, 1 some rows rejected (the rest imported) or nothing found, 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from dossiers.db import make_engine
from dossiers.model import Dossier, Locked, NotFound

MAX_ERRORS_SHOWN = 100


def _import(args: argparse.Namespace) -> int:
    from dossiers.importer import import_file

    path = Path(args.file)
    if not path.is_file():
        print(f"no such file: {path}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    report = import_file(make_engine(), path, args.format)
    elapsed = time.perf_counter() - started
    for error in report.errors[:MAX_ERRORS_SHOWN]:
        print(f"{path.name}:{error.line}: {error.reason}", file=sys.stderr)
    if len(report.errors) > MAX_ERRORS_SHOWN:
        print(f"... and {len(report.errors) - MAX_ERRORS_SHOWN} more bad rows", file=sys.stderr)
    print(
        f"imported {report.accepted} dossiers ({report.created} new, {report.updated} updated), "
        f"rejected {len(report.errors)} rows, {elapsed:.2f} s"
    )
    return 1 if report.errors else 0


def _demo(args: argparse.Namespace) -> int:
    from answers.compose import dossier_status_name
    from dossiers.demo import generate
    from dossiers.importer import store_rows
    from dossiers.status import is_overdue

    today = date.fromisoformat(args.today) if args.today else date.today()
    demo = generate(args.count, args.seed, today)
    created, updated = store_rows(make_engine(), [item.row for item in demo])
    print(f"demo: stored {created + updated} made-up dossiers ({created} new, {updated} updated)")
    print("DEMO DATA ONLY - try these (code, last 6 ID digits, status):")
    shown: set[int] = set()
    for item in demo:
        dossier = item.row.dossier()
        if dossier.status_code in shown:
            continue
        shown.add(dossier.status_code)
        late = " (overdue)" if is_overdue(dossier, today) else ""
        name = dossier_status_name(dossier.status_code, "vi")
        print(f"  {dossier.code:<28} {item.identity_digits}  {dossier.status_code:>2} {name}{late}")
    return 0


def _print_dossier(dossier: Dossier, lang: str) -> None:
    """The bot's own wording (answers/templates/<lang>/_dossier.j2), laid out for a terminal."""
    from answers.compose import dossier_day, dossier_explanation, dossier_next_step, dossier_status_name
    from dossiers.status import is_overdue

    due = dossier_day(dossier.appointment_date, lang) if dossier.appointment_date else "-"
    print(f"{dossier.code}  {dossier.procedure_code} {dossier.procedure_title[:80]}")
    print(f"  applicant: {dossier.applicant_name}  phone: {dossier.applicant_phone or '-'}")
    print(f"  status {dossier.status_code}: {dossier_status_name(dossier.status_code, lang)}  (appointment {due})")
    if is_overdue(dossier, date.today()):
        print("  OVERDUE")
    print(f"  {dossier_explanation(dossier, lang)}")
    print(f"  -> {dossier_next_step(dossier, lang)}")


def _lookup(args: argparse.Namespace) -> int:
    from dossiers import backend_from_env

    result = backend_from_env().lookup(args.code, args.digits, args.conversation, client_key=args.client)
    if isinstance(result, Locked):
        print(f"too many failed checks: next check allowed at {result.until:%Y-%m-%d %H:%M:%S} UTC")
        return 1
    if isinstance(result, NotFound):
        print("not found (unknown code or wrong ID digits)")
        return 1
    _print_dossier(result, "en" if args.lang == "en" else "vi")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dossiers", description="Dossier status backend (tra cứu hồ sơ)")
    commands = parser.add_subparsers(dest="command", required=True)

    imp = commands.add_parser("import", help="import dossiers from JSONL or CSV (.gz too)")
    imp.add_argument("file")
    imp.add_argument("--format", choices=["jsonl", "csv"], help="default: from the file name")
    imp.set_defaults(run=_import)

    demo = commands.add_parser("demo", help="fill the database with made-up Bắc Ninh dossiers")
    demo.add_argument("--count", type=int, default=200)
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--today", help="YYYY-MM-DD, default today (dates are relative to it)")
    demo.set_defaults(run=_demo)

    look = commands.add_parser("lookup", help="look a dossier up as the bot would")
    look.add_argument("code")
    look.add_argument("digits", help="last 6 digits of the applicant's ID number (or all 12)")
    look.add_argument("--conversation", default="cli", help="conversation id for the throttle")
    look.add_argument("--client", default="cli", help="client key for the throttle")
    look.add_argument("--lang", choices=["vi", "en"], default="vi")
    look.set_defaults(run=_lookup)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "count", 1) < 1:
        print("--count must be at least 1", file=sys.stderr)
        return 2
    run: Callable[[argparse.Namespace], int] = args.run
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
