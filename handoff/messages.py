"""What the citizen is told about a staff event (joined, a message, a card, transferred, ended), as
Rasa events: the web app sends them through Rasa (handoff/delivery.py), and the channels replay them
to a client that missed them (a REST client's next call, a widget that reconnects). Each payload
carries `id`, so a client that gets one twice shows it once."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from handoff import wording
from handoff.conversation import rating_buttons
from handoff.store import Chat, ChatEvent


def bot_event(text: str, custom: Dict[str, Any], buttons: Optional[List[Dict[str, str]]] = None) -> Dict[str, Any]:
    data: Dict[str, Any] = {"custom": custom}
    if buttons:
        data["buttons"] = buttons
    return {"event": "bot", "text": text, "data": data}


def rasa_events(chat: Chat, event: ChatEvent, text: Optional[str] = None) -> List[Dict[str, Any]]:
    """The Rasa events that tell the citizen about `event`. `text`: the staff's words as typed,
    when still at hand (the store keeps them masked, and masking would hide a number they give)."""
    lang, name = chat.lang, event.data.get("display") or chat.staff_display or ""
    ident = f"h{event.id}"
    if event.kind == "assigned":
        said = wording.say(lang, "agent_joined", name=name, centre=chat.centre_name)
        return [bot_event(said, {"type": "agent_joined", "name": name, "centre": chat.centre_name, "id": ident})]
    if event.kind == "message":
        words = text if text is not None else event.text or ""
        card = event.data.get("card")
        if card:
            custom = {**card, "from_agent": {"name": name, "centre": chat.centre_name}, "id": ident}
            return [bot_event(words or card.get("title", ""), custom)]
        custom = {"type": "agent_message", "name": name, "centre": chat.centre_name, "text": words, "id": ident}
        return [bot_event(words, custom)]
    if event.kind == "transferred":
        said = wording.say(lang, "transferred", centre=chat.centre_name)
        return [bot_event(said, {"type": "handoff_transferred", "centre": chat.centre_name, "id": ident})]
    if event.kind == "ended":
        code = event.data.get("code", "")
        return [
            {"event": "resume"},
            bot_event(wording.say(lang, "ended"), {"type": "handoff_ended", "code": code, "id": ident}),
            bot_event(
                wording.say(lang, "rating_request"), {"type": "rating_request", "id": ident + "r"}, rating_buttons()
            ),
        ]
    return []


def as_reply(event: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """A Rasa `bot` event as the message a channel sends (text, custom, buttons)."""
    if event.get("event") != "bot":
        return None
    data = event.get("data") or {}
    reply: Dict[str, Any] = {"text": event.get("text") or ""}
    for key in ("custom", "buttons"):
        if data.get(key):
            reply[key] = data[key]
    return reply
