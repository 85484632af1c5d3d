"""The baseline's only custom action: as little work as a rasa-sdk action can do."""

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher


class ActionHello(Action):
    def name(self) -> str:
        return "action_hello"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict[str, Any]]:
        dispatcher.utter_message(text="hi")
        return []
