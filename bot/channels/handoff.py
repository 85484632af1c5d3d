"""The channels' side of the live handoff: every citizen message goes to the handoff first
(handoff/conversation.py). While the conversation is with a person, or answers one of the
handoff's questions, the handoff answers and the bot stays silent, whatever Rasa's paused flag
says (a tracker reset or a new session would un-pause it). What was said is still appended to the
tracker, under the conversation's lock, so the tracker remains the whole conversation.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional

from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Event,
    UserUttered,
)

from handoff.conversation import Turn, handoff
from handoff.messages import as_reply, rasa_events
from handoff.store import RATING_WINDOW, ChatEvent, utcnow

logger = logging.getLogger(__name__)


async def handoff_turn(agent: Any, sender: str, text: str, channel: str) -> Optional[Turn]:
    """The handoff's answer to this message, or None: then Rasa answers as usual. If the
    handoff store cannot be reached, the bot answers (a citizen is never left without a reply)."""
    try:
        turn = await asyncio.to_thread(handoff().handle, sender, text)
    except Exception as error:
        logger.error("handoff store unavailable, the bot answers: %s", type(error).__name__)
        return None
    if turn is not None and agent is not None:
        await record_turn(agent, sender, text, channel, turn)
    return turn


def unseen_staff_messages(sender: str) -> List[Dict[str, Any]]:
    """For a client without push (REST): what staff said since the citizen's previous message."""
    store = handoff().store
    chat = store.latest(sender)
    if chat is None:
        return []
    unseen = store.staff_messages_for(sender, chat.seen_upto)
    if unseen:
        store.mark_seen(chat.id, unseen[-1].id)
    return _as_replies(unseen)


def staff_history(sender: str) -> List[Dict[str, Any]]:
    """Everything staff said in the conversation's current or just-ended handoff: a reconnecting
    widget or a REST client's history call gets it back (each payload has an `id`)."""
    chat = handoff().store.latest(sender)
    if chat is None or not (chat.is_open or (chat.ended_at and utcnow() - chat.ended_at <= RATING_WINDOW)):
        return []
    return _as_replies(handoff().store.staff_messages_for(sender, 0))


def _as_replies(events: List[ChatEvent]) -> List[Dict[str, Any]]:
    store = handoff().store
    replies: List[Dict[str, Any]] = []
    for event in events:
        chat = store.chat(event.chat_id)
        replies.extend(r for r in map(as_reply, rasa_events(chat, event)) if r)
    return replies


async def record_turn(agent: Any, sender: str, text: str, channel: str, turn: Turn) -> None:
    """Append a turn the channel answered itself (the citizen's text, the replies) to the tracker."""
    events: List[Event] = [UserUttered(text, input_channel=channel)]
    if turn.pause:
        events.append(ConversationPaused())
    if turn.resume:
        events.append(ConversationResumed())
    for reply in turn.replies:
        data = {k: v for k, v in reply.items() if k != "text"}
        events.append(BotUttered(reply.get("text"), data))
    events.append(ActionExecuted("action_listen"))
    try:
        async with agent.lock_store.lock(sender):
            tracker = await agent.processor.fetch_tracker_with_initial_session(sender)
            for event in events:
                tracker.update(event)
            await agent.tracker_store.save(tracker)
    except Exception as error:  # the handoff's record has it; the tracker copy is best effort
        logger.warning("handoff turn not added to the tracker: %s", type(error).__name__)
