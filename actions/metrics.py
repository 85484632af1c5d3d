"""The action server's Prometheus metrics (`GET /metrics`): how long each action and each knowledge
search takes, which answers the knowledge actions give, failures, and which index is loaded.
Labels are action names and answer kinds only: nothing a citizen typed."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry()
SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

action_seconds = Histogram(
    "assistant_action_seconds", "Time an action takes, by action", ["action"], buckets=SECONDS, registry=REGISTRY
)
action_errors = Counter(
    "assistant_action_errors", "Actions that failed (the citizen got an apology)", ["action"], registry=REGISTRY
)
search_seconds = Histogram(
    "assistant_search_seconds", "Time of one knowledge search", buckets=SECONDS, registry=REGISTRY
)
answers = Counter("assistant_answers", "Replies of the knowledge actions, by route kind", ["kind"], registry=REGISTRY)
index_procedures = Gauge("assistant_index_procedures", "Procedures in the loaded knowledge index", registry=REGISTRY)
index_build = Gauge(
    "assistant_index_build_info", "The loaded index's build id (value 1)", ["build_id"], registry=REGISTRY
)
CONTENT_TYPE = CONTENT_TYPE_LATEST


def exposition(procedures: int, build_id: str | None) -> bytes:
    """The metrics in Prometheus' text format, with the index gauges read now."""
    index_procedures.set(procedures)
    index_build.clear()
    if build_id:
        index_build.labels(build_id=build_id).set(1)
    return generate_latest(REGISTRY)
