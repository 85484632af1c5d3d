"""Create every table of the production profile once, before any replica starts (`python -m
cluster.schema`, run by `cluster up` in both venvs): two replicas creating the same table at once
on PostgreSQL make one of them fail. Each venv creates the tables of the code it runs."""

from __future__ import annotations

import os


def rasa_tables() -> None:
    """Tracker store, live handoff, turn records, Zalo state (the Rasa process's tables)."""
    from sqlalchemy import create_engine

    from analytics import settings as analytics_settings
    from analytics import store as analytics_store
    from bot.channels import zalo
    from bot.tracker_store import MaskingSQLTrackerStore
    from handoff.settings import handoff_settings
    from handoff.store import make_engine as handoff_engine

    MaskingSQLTrackerStore(dialect="postgresql", host=os.environ["TRACKER_DATABASE_URL"]).engine.dispose()
    handoff_engine(handoff_settings().database_url).dispose()
    engine = analytics_store.make_engine(analytics_settings.database_url())
    analytics_store.metadata.create_all(engine)
    engine.dispose()
    engine = create_engine(handoff_settings().database_url, future=True)
    zalo.metadata.create_all(engine)
    engine.dispose()


def app_tables() -> None:
    """The web app's and the dossiers' tables (the 3.11 processes)."""
    from dossiers.db import ensure_schema
    from dossiers.settings import get_settings
    from web.db import make_engine as web_engine
    from web.settings import Settings

    web_engine(Settings().database_url).dispose()
    from sqlalchemy import create_engine

    engine = create_engine(get_settings().database_url)
    ensure_schema(engine)
    engine.dispose()


def main() -> None:
    try:
        import rasa  # noqa: F401 - only the 3.10 venv has it
    except ImportError:
        app_tables()
    else:
        rasa_tables()


if __name__ == "__main__":
    main()
