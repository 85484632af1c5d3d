"""Retention, for a scheduler (cron, a systemd timer): delete what is older than RETENTION_DAYS.

    analytics purge [--days N]

- turn records (analytics_turn);
- Rasa conversations: the tracker store's events (TRACKER_DB);
- the live handoff's ended chats and callback requests past their own retention
  (HANDOFF_RETENTION_DAYS, CALLBACK_RETENTION_DAYS).
Aggregates are computed from what remains; export them first (the dashboard's CSV) if needed.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime, timedelta, timezone

from sqlalchemy import inspect, text

from analytics import settings, store


def purge_conversations(tracker_db: str, days: int) -> int:
    """Delete the tracker store's events older than `days` (Rasa's SQL tracker store: `events`)."""
    url = tracker_db if "://" in tracker_db else f"sqlite:///{tracker_db}"
    engine = store.make_engine(settings.database_url({"ANALYTICS_DATABASE_URL": url}))
    if "events" not in inspect(engine).get_table_names():
        return 0
    cutoff = (datetime.now(timezone.utc) - timedelta(days=days)).timestamp()
    with engine.begin() as db:
        return int(db.execute(text("DELETE FROM events WHERE timestamp < :cutoff"), {"cutoff": cutoff}).rowcount or 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="analytics", description="Turn records and retention")
    commands = parser.add_subparsers(dest="command", required=True)
    purge = commands.add_parser("purge", help="delete what is older than the retention period")
    purge.add_argument("--days", type=int, default=settings.retention_days())
    args = parser.parse_args(argv)
    if args.days < 1:
        print("error: --days must be at least 1", file=sys.stderr)
        return 1
    turns = store.purge(store.make_engine(settings.database_url()), args.days)
    conversations = purge_conversations(os.environ.get("TRACKER_DB") or "var/tracker.db", args.days)
    from handoff.conversation import handoff  # the handoff's own retention periods

    live = handoff()
    live.store.purge(live.settings.retention_days)
    print(f"deleted {turns} turn records and {conversations} conversation events older than {args.days} days")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
