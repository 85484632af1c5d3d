"""One record per bot turn, made from the Rasa events of that turn: what was asked (masked), how it
was understood, and the answer's status. Plain Python (Python 3.10, no Rasa import): the Rasa
process's tracker store calls `turns_from_events` with the events each save adds
(bot/tracker_store.py), and the records go to the analytics store (analytics/store.py).

The answer status comes from the reply's payload type, the contract every channel already reads
(`custom.type`): one table here, ANSWER_STATUS, is the only place that says which is which.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Optional

from bot.privacy import mask_text

MAX_TEXT = 500  # characters of the masked question kept

# payload type of the reply -> answer status (the first reply that names one decides)
ANSWER_STATUS: Dict[str, str] = {
    "procedure": "answered",
    "life_event": "answered",
    "referral": "answered",
    "choices": "clarified",
    "locality": "locality",
    "no_answer": "no_answer",
    "handoff": "handoff_unavailable",  # the hotline, when the live handoff cannot be reached
    "handoff_offer": "handoff_offered",
    "handoff_queued": "handoff_queued",
    "handoff_unavailable": "handoff_unavailable",
    "handoff_callback_saved": "handoff_callback",
    "handoff_rated": "handoff_rated",
    "dossier_status": "dossier_found",
    "dossier_not_found": "dossier_not_found",
    "dossier_locked": "dossier_locked",
    "dossier_unavailable": "dossier_unavailable",
    "ask": "asked",  # the bot asked for a dossier code or ID digits, a phone number...
    "feedback_up": "feedback_up",  # a 👍 / 👎 typed on Zalo (the widget's votes are in web_feedback)
    "feedback_down": "feedback_down",
}
STATUSES = tuple(dict.fromkeys([*ANSWER_STATUS.values(), "out_of_scope", "handoff_live", "other", "silent", "error"]))
OUT_OF_SCOPE_INTENTS = {"out_of_scope"}
FAILED_ACTION = "utter_action_failed"


@dataclass(frozen=True)
class TurnRecord:
    at: datetime
    conversation: str  # keyed hash of the conversation id, never the id
    channel: str
    language: str
    intent: str
    confidence: float
    status: str
    procedure_code: str
    aspect: str
    latency_ms: int
    ward: str
    text: str  # masked, cut to MAX_TEXT


def conversation_hash(sender_id: str, key: str) -> str:
    return hmac.new(key.encode(), b"turn:" + sender_id.encode(), hashlib.sha256).hexdigest()[:32]


def turns_from_events(sender_id: str, events: Iterable[Dict[str, Any]], key: str) -> List[TurnRecord]:
    """The turns among `events` (Rasa event dicts, in order): each user message and what followed it
    up to the next user message. Events before the first user message (a staff message delivered
    through Rasa's API, a session start) are no turn of the citizen's."""
    turns: List[TurnRecord] = []
    user: Optional[Dict[str, Any]] = None
    after: List[Dict[str, Any]] = []
    for event in events:
        if event.get("event") == "user":
            if user is not None:
                turns.append(_turn(sender_id, user, after, key))
            user, after = event, []
        elif user is not None:
            after.append(event)
    if user is not None:
        turns.append(_turn(sender_id, user, after, key))
    return turns


def _turn(sender_id: str, user: Dict[str, Any], after: List[Dict[str, Any]], key: str) -> TurnRecord:
    parse = user.get("parse_data") or {}
    intent = (parse.get("intent") or {}).get("name") or ""
    bots = [e for e in after if e.get("event") == "bot"]
    customs = [c for c in (_custom(e) for e in bots) if c]
    procedure = next((c for c in customs if c.get("type") == "procedure"), {})
    started = float(user.get("timestamp") or 0.0)
    finished = max((float(e.get("timestamp") or started) for e in bots), default=started)
    return TurnRecord(
        at=datetime.fromtimestamp(started, timezone.utc),
        conversation=conversation_hash(sender_id, key),
        channel=str(user.get("input_channel") or ""),
        language=_entity(parse, "language") or "",
        intent=intent,
        confidence=float((parse.get("intent") or {}).get("confidence") or 0.0),
        status=status_of(intent, customs, bots, after),
        procedure_code=str(procedure.get("code") or ""),
        aspect=str(procedure.get("aspect") or ""),
        latency_ms=max(0, round((finished - started) * 1000)),
        ward=_slot(after, "ward"),
        text=mask_text(str(user.get("text") or ""))[:MAX_TEXT],
    )


def status_of(
    intent: str, customs: List[Dict[str, Any]], bots: List[Dict[str, Any]], after: List[Dict[str, Any]]
) -> str:
    if any(e.get("event") == "action" and e.get("name") == FAILED_ACTION for e in after):
        return "error"
    for custom in customs:
        status = ANSWER_STATUS.get(str(custom.get("type")))
        if status == "no_answer" and intent in OUT_OF_SCOPE_INTENTS:
            return "out_of_scope"
        if status:
            return status
    if any(e.get("event") == "pause" for e in after) or (not bots and intent == ""):
        return "handoff_live"  # the bot stays silent: the message went to a person
    return "other" if bots else "silent"


def _custom(event: Dict[str, Any]) -> Dict[str, Any]:
    custom = (event.get("data") or {}).get("custom")
    return custom if isinstance(custom, dict) else {}


def _entity(parse: Dict[str, Any], name: str) -> Optional[str]:
    for entity in parse.get("entities") or []:
        if isinstance(entity, dict) and entity.get("entity") == name and isinstance(entity.get("value"), str):
            return str(entity["value"])
    return None


def _slot(events: List[Dict[str, Any]], name: str) -> str:
    values = [e.get("value") for e in events if e.get("event") == "slot" and e.get("name") == name]
    return str(values[-1]) if values and isinstance(values[-1], str) else ""
