"""The web app's Prometheus metrics (`GET /metrics`), read from the stores when scraped: turns by
answer status and reply latency (analytics), the live handoff's queues, waits and open callbacks,
feedback votes. Aggregates only. Without METRICS_TOKEN only a loopback client may scrape; with it,
a scraper sends `Authorization: Bearer <token>`."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import and_, func, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from analytics.store import turns
from handoff.store import callbacks, chats
from web.db import Feedback

LOOPBACK = ("127.0.0.1", "::1", "localhost")
RECENT = timedelta(hours=1)  # latency and wait quantiles are over the last hour / day
WAITS = timedelta(days=1)


def _quantiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {}
    pick = lambda share: ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]  # noqa: E731
    return {"0.5": pick(0.5), "0.95": pick(0.95)}


class AssistantCollector(Collector):
    def __init__(self, app_state: Any) -> None:
        self.state = app_state

    def collect(self) -> Iterator[Metric]:
        now = datetime.now(UTC)
        yield from self._turns(now)
        yield from self._handoff(now)
        yield from self._feedback()

    def _turns(self, now: datetime) -> Iterator[Metric]:
        with self.state.analytics.connect() as db:
            by_status = db.execute(select(turns.c.status, func.count()).group_by(turns.c.status)).all()
            latencies = [r[0] for r in db.execute(select(turns.c.latency_ms).where(turns.c.at >= now - RECENT)).all()]
        total = CounterMetricFamily("assistant_turns", "Bot turns recorded, by answer status", labels=["status"])
        for status, count in by_status:
            total.add_metric([status], count)
        yield total
        latency = GaugeMetricFamily(
            "assistant_reply_latency_ms", "Reply latency over the last hour (quantiles)", labels=["quantile"]
        )
        for quantile, value in _quantiles(latencies).items():
            latency.add_metric([quantile], value)
        yield latency

    def _handoff(self, now: datetime) -> Iterator[Metric]:
        store = self.state.handoff.store
        with store.engine.connect() as db:
            queued = db.execute(
                select(chats.c.centre, func.count(), func.min(chats.c.queued_at))
                .where(chats.c.status == "queued")
                .group_by(chats.c.centre)
            ).all()
            waits = db.execute(
                select(chats.c.queued_at, chats.c.assigned_at).where(
                    and_(chats.c.assigned_at.is_not(None), chats.c.assigned_at >= now - WAITS)
                )
            ).all()
            open_callbacks = db.execute(
                select(func.count()).select_from(callbacks).where(callbacks.c.status == "open")
            ).scalar_one()
        length = GaugeMetricFamily(
            "assistant_handoff_queue", "Chats waiting for a person, by centre", labels=["centre"]
        )
        oldest = GaugeMetricFamily(
            "assistant_handoff_oldest_wait_seconds", "How long the oldest waiting chat has waited", labels=["centre"]
        )
        for centre, count, since in queued:
            length.add_metric([centre], count)
            oldest.add_metric([centre], (now - _aware(since)).total_seconds() if since else 0.0)
        yield length
        yield oldest
        wait = GaugeMetricFamily(
            "assistant_handoff_wait_seconds",
            "Queue wait of chats claimed in the last day (quantiles)",
            labels=["quantile"],
        )
        seconds = [(_aware(b) - _aware(a)).total_seconds() for a, b in waits if a and b]
        for quantile, value in _quantiles(seconds).items():
            wait.add_metric([quantile], value)
        yield wait
        yield GaugeMetricFamily("assistant_callbacks_open", "Callback requests not yet handled", value=open_callbacks)

    def _feedback(self) -> Iterator[Metric]:
        with self.state.db() as db:
            votes = db.execute(select(Feedback.rating, func.count()).group_by(Feedback.rating)).all()
        family = CounterMetricFamily("assistant_feedback", "Feedback votes on answers", labels=["rating"])
        for rating, count in votes:
            family.add_metric([rating], count)
        yield family


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def allowed(request: Request) -> bool:
    token = request.app.state.settings.metrics_token
    if token:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given, f"Bearer {token}")
    return (request.client.host if request.client else "") in LOOPBACK


async def metrics(request: Request) -> Response:
    if not allowed(request):
        return JSONResponse({"error": "Metrics are for the monitoring system only."}, status_code=403)
    registry = CollectorRegistry()
    registry.register(AssistantCollector(request.app.state))
    return Response(await run_in_threadpool(generate_latest, registry), media_type=CONTENT_TYPE_LATEST)


routes = [Route("/metrics", metrics)]
