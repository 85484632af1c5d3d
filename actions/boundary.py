"""What an action may believe of a tracker. Slots, entities and metadata arrive from Rasa, but
a citizen can shape entities, and anyone who reaches the action server can post any tracker,
so every value is checked here, once, before an action uses it: a wrong type or shape is
treated as absent, never as a crash (a crash once logged the whole tracker).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import metrics
from knowledge.language import LANGUAGES

logger = logging.getLogger(__name__)

PROCEDURE_CODE = re.compile(r"^\d\.\d{6}$")
CLIENT_KEY = re.compile(r"^[0-9a-f]{16,64}$")
MAX_TEXT_CHARS = 1000  # the channels refuse longer messages
MAX_SLOT_CHARS = 200
MAX_CANDIDATES = 10


def text_slot(tracker: Tracker, name: str) -> str | None:
    value = tracker.get_slot(name)
    return value if isinstance(value, str) and 0 < len(value) <= MAX_SLOT_CHARS else None


def code_slot(tracker: Tracker, name: str = "procedure_code") -> str | None:
    value = tracker.get_slot(name)
    return value if isinstance(value, str) and PROCEDURE_CODE.match(value) else None


def code_list_slot(tracker: Tracker, name: str = "candidates") -> list[str]:
    value = tracker.get_slot(name)
    if not isinstance(value, list):
        return []
    return [c for c in value if isinstance(c, str) and PROCEDURE_CODE.match(c)][:MAX_CANDIDATES]


def language(tracker: Tracker) -> str:
    value = tracker.get_slot("language")
    return value if value in LANGUAGES else "vi"


def latest_text(tracker: Tracker) -> str:
    value = (tracker.latest_message or {}).get("text")
    return value[:MAX_TEXT_CHARS] if isinstance(value, str) else ""


def latest_intent(tracker: Tracker) -> str | None:
    intent = (tracker.latest_message or {}).get("intent")
    name = intent.get("name") if isinstance(intent, dict) else None
    return name if isinstance(name, str) else None


def picked_code(tracker: Tracker, known: Callable[[str], bool]) -> str | None:
    """The procedure a `/choose_procedure` payload picked: a clarification button (a code the bot
    offered) or a deep link from one of our procedure pages (any code the index has)."""
    for value in tracker.get_latest_entity_values("procedure_code"):
        if isinstance(value, str) and PROCEDURE_CODE.match(value) and known(value):
            return value
    return None


def client_key(tracker: Tracker) -> str | None:
    """The channel's keyed hash of the client's address (never the address)."""
    metadata = (tracker.latest_message or {}).get("metadata")
    value = metadata.get("client_key") if isinstance(metadata, dict) else None
    return value if isinstance(value, str) and CLIENT_KEY.match(value) else None


Run = TypeVar("Run", bound=Callable[..., Awaitable[list[dict[str, Any]]]])


def never_fails(run: Run) -> Run:
    """An action that fails says sorry to the citizen and logs only which action and which
    kind of error, never the tracker or the request."""

    @functools.wraps(run)
    async def guarded(
        self: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Any
    ) -> list[dict[str, Any]]:
        with metrics.action_seconds.labels(action=self.name()).time():
            try:
                return await run(self, dispatcher, tracker, domain)
            except Exception as error:  # noqa: BLE001 - the boundary: nothing escapes to rasa-sdk's handler
                logger.error("action.failed: %s %s", self.name(), type(error).__name__)
                metrics.action_errors.labels(action=self.name()).inc()
                dispatcher.utter_message(response="utter_action_failed")
                return []

    return guarded  # type: ignore[return-value]  # same signature as `run`; mypy cannot see it through wraps
