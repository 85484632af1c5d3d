"""Actions that answer procedure questions from the knowledge engine."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import metrics
from actions.boundary import (
    code_list_slot,
    code_slot,
    language,
    latest_intent,
    latest_text,
    never_fails,
    picked_code,
    text_slot,
)
from actions.handoff import denied_choices, offer_after_failure
from actions.runtime import runtime
from answers import compose
from answers.route import Route, Turn, route_turn
from knowledge.guides import load_guides
from knowledge.model import Procedure
from knowledge.search import KnowledgeBase, SearchResult


def send(dispatcher: CollectingDispatcher, reply: compose.Reply) -> None:
    dispatcher.utter_message(text=reply.text, buttons=reply.buttons, json_message=reply.custom)


def place_of(tracker: Tracker) -> compose.Place:
    """The resident's ward centre once a ward is known in the conversation, and the province's."""
    localities = runtime().localities
    ward_name = text_slot(tracker, "ward")
    ward = localities.ward(ward_name) if ward_name else None
    return compose.Place(
        province_center=localities.province_service_center,
        ward_center=ward.service_center if ward else None,
    )


def known(knowledge: KnowledgeBase, codes: list[str] | None) -> list[Procedure]:
    """The procedures of `codes` the loaded index has, in order."""
    return [p for p in map(knowledge.get, codes or []) if p is not None]


def _no_answer(dispatcher: CollectingDispatcher, lang: str, tracker: Tracker) -> list[EventType]:
    localities = runtime().localities
    send(dispatcher, compose.no_answer(lang, localities.hotline, localities.hours_in(lang)))
    offer_after_failure(dispatcher, tracker)
    return []


class ActionAnswerProcedure(Action):
    def name(self) -> str:
        return "action_answer_procedure"

    @never_fails
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = language(tracker)
        knowledge = runtime().knowledge()
        if knowledge is None:
            return _no_answer(dispatcher, lang, tracker)

        context = code_slot(tracker)
        offered = [(p.code, p.title) for p in known(knowledge, code_list_slot(tracker))] if context is None else []
        intent, picked = latest_intent(tracker), picked_code(tracker, lambda code: knowledge.get(code) is not None)
        # A pick of a procedure the index does not have is no pick, and its payload is no question.
        text = "" if intent == "choose_procedure" and picked is None else latest_text(tracker)
        turn = Turn(
            text=text,
            intent=intent,
            context_code=context,
            picked_code=picked,
            pending_aspect=text_slot(tracker, "aspect"),
            offered=offered,
            pending_question=text_slot(tracker, "pending_question") if offered else None,
        )

        def search(query: str) -> SearchResult:
            # The message's language was decided once, by Rasa. A text the route derives from it (a
            # refinement read with the pending question, "kết hôn" + "for my wife"; the rest of a
            # referral) is another text: the engine decides for that.
            with metrics.search_seconds.time():
                return knowledge.search(query, language=lang if query == text else None)

        route = route_turn(turn, search, load_guides())
        return _reply(dispatcher, route, knowledge, lang, tracker)


def _reply(
    dispatcher: CollectingDispatcher, route: Route, knowledge: KnowledgeBase, lang: str, tracker: Tracker
) -> list[EventType]:
    metrics.answers.labels(kind=route.kind).inc()
    context = code_slot(tracker)
    procedure = knowledge.get(route.code) if route.code else None
    if route.kind == "answer" and procedure is not None:
        send(dispatcher, compose.procedure_answer(procedure, route.aspect, lang, place_of(tracker)))
        events = [SlotSet("procedure_code", procedure.code), SlotSet("aspect", route.aspect)]
        if route.options or procedure.code != context:  # a follow-up keeps the alternatives for "không phải"
            events.append(SlotSet("candidates", [code for code, _ in route.options] or None))
        if text_slot(tracker, "pending_question"):  # the choices are closed
            events.append(SlotSet("pending_question", None))
        return events
    if route.kind == "choices":  # no procedure in context until one is picked
        send(dispatcher, compose.choices(route.options, lang))
        return [
            SlotSet("procedure_code", None),
            SlotSet("aspect", route.aspect),
            SlotSet("candidates", [c for c, _ in route.options]),
            SlotSet("pending_question", route.question),
        ]
    guides = load_guides()
    event = guides.find_event(route.guide) if route.kind == "life_event" else None
    if event is not None:  # its steps become the candidates: "không phải" offers them again
        send(dispatcher, compose.life_event(event, known(knowledge, [s.code for s in event.steps]), lang))
        return [SlotSet("procedure_code", None), SlotSet("candidates", [s.code for s in event.steps])]
    referral = guides.find_referral(route.guide) if route.kind == "referral" else None
    if referral is not None:
        send(dispatcher, compose.referral(referral, lang))
        return []
    if route.kind == "out_of_scope":
        dispatcher.utter_message(response="utter_out_of_scope")
        return []
    return _no_answer(dispatcher, lang, tracker)


class ActionShowCandidates(Action):
    """ "Không phải" / "not that one": offer the other candidates of the last search again."""

    def name(self) -> str:
        return "action_show_candidates"

    @never_fails
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        knowledge = runtime().knowledge()
        current = code_slot(tracker)
        codes = [c for c in code_list_slot(tracker) if c != current]
        procedures = known(knowledge, codes) if knowledge else []
        if not procedures:
            dispatcher.utter_message(response="utter_no_candidates")
            offer_after_failure(dispatcher, tracker)
            return [SlotSet("procedure_code", None)]
        options = [(p.code, p.title) for p in procedures]
        send(dispatcher, compose.choices(options, language(tracker)))
        if denied_choices(tracker):  # "không phải" to the choices themselves
            offer_after_failure(dispatcher, tracker)
        return [SlotSet("procedure_code", None), SlotSet("candidates", [c for c, _ in options])]
