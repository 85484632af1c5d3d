"""Decide what to answer for one citizen turn: which procedure, which aspect, or a question back.

route -> (guard in the channel) -> search -> compose: this is the route stage. It is pure:
the search is passed in, so it is tested without Rasa or an index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from knowledge.aspects import Aspect, as_aspect, detect_aspect, strip_aspect_words


class Hit(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def title(self) -> str: ...


class SearchResult(Protocol):
    @property
    def decision(self) -> str: ...  # "answer" | "clarify" | "no_answer"
    @property
    def hits(self) -> Sequence[Hit]: ...
    @property
    def choice_count(self) -> int: ...  # for "clarify": how many of the hits are close enough to offer


class Search(Protocol):
    """`knowledge.KnowledgeBase.search`, or a stand-in in tests."""

    def __call__(self, query: str) -> SearchResult: ...


class Guides(Protocol):
    """`knowledge.guides.Guides`, or a stand-in in tests: our own life-event guides and referrals."""

    def life_event(self, text: str, asked_as_event: bool = False) -> Any: ...  # an object with `.id`, or None
    def refer(self, text: str, search: Search) -> tuple[Any, Any]: ...  # (referral with `.id`, rest's result)


RouteKind = Literal["answer", "choices", "no_answer", "out_of_scope", "life_event", "referral"]


@dataclass
class Route:
    kind: RouteKind
    code: str | None = None
    aspect: Aspect = "overview"
    options: list[tuple[str, str]] = field(default_factory=list)  # (code, title): choices, or alternatives
    guide: str | None = None  # the life event or referral id
    question: str | None = None  # for "choices": the question they answer, for a refinement typed next


MAX_CHOICES = 5


@dataclass(frozen=True)
class Turn:
    """One citizen turn and what the conversation holds when it arrives."""

    text: str
    intent: str | None = None
    context_code: str | None = None  # the procedure answered last, for follow-ups
    picked_code: str | None = None  # a clarification button's procedure
    pending_aspect: str | None = None  # the aspect asked when the choices were offered
    offered: Sequence[tuple[str, str]] = ()  # the choices shown last, when none was picked yet
    pending_question: str | None = None  # the question those choices answer


def route_turn(turn: Turn, search: Search, guides: Guides | None = None) -> Route:
    """What to answer. While choices are open, an aspect question ("phí bao nhiêu?") offers them
    again, and a refinement typed instead of a tap ("xe máy", "for my wife") is read together with
    the question that brought them, preferring the offered procedures."""
    text, context_code = turn.text, turn.context_code
    aspect = detect_aspect(text)
    if turn.picked_code:  # a button: answer what was asked before, keep the others for "không phải"
        others = [option for option in turn.offered if option[0] != turn.picked_code]
        return Route("answer", turn.picked_code, aspect or as_aspect(turn.pending_aspect) or "overview", others)

    follow_up = context_code is not None and (aspect is not None or turn.intent == "ask_aspect")
    if follow_up and turn.intent == "ask_aspect":  # about the procedure in context: nothing to search
        return Route("answer", context_code, aspect or "overview")
    if guides is not None and (guide := _guide(turn, guides, search)) is not None:
        return guide
    if turn.intent == "out_of_scope" and not turn.offered:
        return Route("out_of_scope")

    # Only aspect words ("lệ phí bao nhiêu?"): nothing names a procedure. Otherwise search the
    # whole question: the engine sets aspect words aside itself, and ranks better with them
    # (dev set: hit@1 0.892 whole vs 0.884 stripped).
    named = strip_aspect_words(text) if aspect else text
    result = search(text) if named.strip(" ?.!,") else None
    # The engine finds no candidate when only filler words are left ("thế thì bao nhiêu?").
    names_something = result is not None and bool(result.hits)
    refined = _refine(turn, search, aspect) if names_something and turn.offered and turn.pending_question else None
    if refined is not None and refined.kind == "answer":
        return refined
    if result is not None and result.decision == "answer":  # a new question of its own
        return _answer(result, aspect)
    if refined is not None:
        return refined
    if follow_up:
        return Route("answer", context_code, aspect or "overview")
    if result is not None and result.decision == "clarify" and result.hits:
        options = _close_options(result)
        if context_code in [code for code, _ in options]:  # "hết hạn rồi" after "đổi bằng lái": still that one
            return Route("answer", context_code, aspect or "overview")
        return Route("choices", aspect=aspect or "overview", options=options, question=text)
    if aspect and turn.offered and context_code is None:
        return Route("choices", aspect=aspect, options=list(turn.offered), question=turn.pending_question)
    return Route("no_answer", aspect=aspect or "overview")


def _guide(turn: Turn, guides: Guides, search: Search) -> Route | None:
    """A referral ("work permit": not in the catalog), unless the rest of the question still names
    a procedure ("I have a work permit, how do I get a residence card?"); or a life event's guide."""
    referral, rest = guides.refer(turn.text, search)
    if referral is not None:
        return Route("referral", guide=referral.id)
    if rest is not None:  # the rest of the question names a procedure: answer it
        return _answer(rest, detect_aspect(turn.text))
    event = guides.life_event(turn.text, asked_as_event=turn.intent == "ask_life_event")
    return Route("life_event", guide=event.id) if event is not None else None


def _answer(result: SearchResult, aspect: Aspect | None) -> Route:
    alternatives = [(hit.code, hit.title) for hit in result.hits[1 : MAX_CHOICES + 1]]
    return Route("answer", result.hits[0].code, aspect or "overview", alternatives)


def _close_options(result: SearchResult) -> list[tuple[str, str]]:
    return [(hit.code, hit.title) for hit in result.hits[: min(result.choice_count or MAX_CHOICES, MAX_CHOICES)]]


def _refine(turn: Turn, search: Search, aspect: Aspect | None) -> Route | None:
    """The pending question and the refinement searched together, kept only when it points into
    the offered procedures: the one it singles out is answered, several are offered again (fewer,
    best first)."""
    question = f"{turn.pending_question} {turn.text}"
    result = search(question)
    offered = dict(turn.offered)
    pending = aspect or as_aspect(turn.pending_aspect) or "overview"
    if result.decision == "answer" and result.hits and result.hits[0].code in offered:
        return _answer(result, pending)
    if result.decision != "clarify":
        return None
    narrowed = [(code, offered[code]) for code, _ in _close_options(result) if code in offered]
    if len(narrowed) == 1:
        others = [option for option in turn.offered if option[0] != narrowed[0][0]]
        return Route("answer", narrowed[0][0], pending, others)
    return Route("choices", aspect=pending, options=narrowed, question=question) if narrowed else None
