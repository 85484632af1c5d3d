"""Dossier status lookup (tra cứu hồ sơ): the form's validation and the lookup itself.
The digits the citizen types are used within the turn and never kept (see bot/privacy.py)."""

from __future__ import annotations

import asyncio
import functools
from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.boundary import client_key, language, latest_text, never_fails, text_slot
from actions.procedures import send
from actions.runtime import runtime
from answers import compose
from dossiers import (
    BackendUnavailable,
    Dossier,
    DossierBackend,
    Locked,
    backend_from_env,
    extract_identity_digits,
    normalize_code,
)

LOOKUP_TIMEOUT_SECONDS = 4.0  # the citizen hears back within 5 s even when the source hangs
_backend: DossierBackend | None = None


def backend() -> DossierBackend:
    global _backend
    if _backend is None:
        _backend = backend_from_env()
    return _backend


class ValidateDossierForm(FormValidationAction):
    def name(self) -> str:
        return "validate_dossier_form"

    @never_fails
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        events: list[EventType] = await super().run(dispatcher, tracker, domain)
        return events

    async def extract_dossier_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("dossier_code"):
            return {}
        code = normalize_code(latest_text(tracker))
        return {"dossier_code": code} if code else {}

    async def extract_identity_digits(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A retry: after a failed check the code is kept, so digits typed straight away (the
        form not yet asking) are the new answer, not something to ask for again."""
        if tracker.get_slot("requested_slot") or not tracker.get_slot("dossier_code"):
            return {}
        said = {e.get("entity") for e in (tracker.latest_message or {}).get("entities") or [] if isinstance(e, dict)}
        if "dossier_code" in said or not said & {"identity_digits", "id_number"}:
            return {}
        return {"identity_digits": latest_text(tracker)}

    def validate_dossier_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = normalize_code(value if isinstance(value, str) else None) or normalize_code(latest_text(tracker))
        if code is None:
            dispatcher.utter_message(response="utter_invalid_dossier_code")
        return {"dossier_code": code}

    def validate_identity_digits(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        digits = extract_identity_digits(value if isinstance(value, str) else None)
        if digits is None:
            dispatcher.utter_message(response="utter_invalid_identity_digits")
        return {"identity_digits": digits}


class ActionLookupDossier(Action):
    def name(self) -> str:
        return "action_lookup_dossier"

    @never_fails
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = language(tracker)
        code, digits = text_slot(tracker, "dossier_code"), text_slot(tracker, "identity_digits")
        forget = [SlotSet("identity_digits", None), SlotSet("dossier_code", None)]
        if not code or not digits:
            return forget
        lookup = functools.partial(backend().lookup, code, digits, tracker.sender_id, client_key=client_key(tracker))
        try:
            result = await asyncio.wait_for(asyncio.to_thread(lookup), LOOKUP_TIMEOUT_SECONDS)
        except (TimeoutError, BackendUnavailable):
            send(dispatcher, compose.dossier_unavailable(lang, runtime().localities.hotline))
            return forget
        if isinstance(result, Dossier):
            send(dispatcher, compose.dossier_status(result, lang, date.today()))
            return forget
        if isinstance(result, Locked):
            send(dispatcher, compose.dossier_locked(lang, result.until))
        else:
            send(dispatcher, compose.dossier_not_found(lang))
        # Keep the code (never the digits): most people simply type their digits again.
        return [SlotSet("identity_digits", None)]
