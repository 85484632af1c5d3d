"""Dossier status lookup (tra cứu hồ sơ): the form's validation and the lookup itself.
The digits the citizen types are used within the turn and never kept (see bot/privacy.py)."""
from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.procedures import send
from actions.runtime import runtime
from answers import compose
from dossiers import BackendUnavailable, Dossier, Locked, backend_from_env, extract_identity_digits, normalize_code

LOOKUP_TIMEOUT_SECONDS = 4.0  # the citizen hears back within 5 s even when the source hangs
_backend = None


def backend():
    global _backend
    if _backend is None:
        _backend = backend_from_env()
    return _backend


class ValidateDossierForm(FormValidationAction):
    def name(self) -> str:
        return "validate_dossier_form"

    async def extract_dossier_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("dossier_code"):
            return {}
        code = normalize_code(tracker.latest_message.get("text"))
        return {"dossier_code": code} if code else {}

    def validate_dossier_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = normalize_code(str(value)) or normalize_code(tracker.latest_message.get("text"))
        if code is None:
            dispatcher.utter_message(response="utter_invalid_dossier_code")
        return {"dossier_code": code}

    def validate_identity_digits(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        digits = extract_identity_digits(str(value))
        if digits is None:
            dispatcher.utter_message(response="utter_invalid_identity_digits")
        return {"identity_digits": digits}


class ActionLookupDossier(Action):
    def name(self) -> str:
        return "action_lookup_dossier"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        language = tracker.get_slot("language")
        code, digits = tracker.get_slot("dossier_code"), tracker.get_slot("identity_digits")
        forget = [SlotSet("identity_digits", None), SlotSet("dossier_code", None)]
        if not code or not digits:
            return forget
        try:
            result = await asyncio.wait_for(
                asyncio.to_thread(backend().lookup, code, digits, tracker.sender_id), LOOKUP_TIMEOUT_SECONDS
            )
        except (BackendUnavailable, asyncio.TimeoutError):
            send(dispatcher, compose.dossier_unavailable(language, runtime().localities.hotline))
            return forget
        if isinstance(result, Dossier):
            send(dispatcher, compose.dossier_status(result, language, date.today()))
        elif isinstance(result, Locked):
            send(dispatcher, compose.dossier_locked(language, result.until))
        else:
            send(dispatcher, compose.dossier_not_found(language))
        return forget
