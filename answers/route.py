"""Decide what to answer for one citizen turn: which procedure, which aspect, or a question back.

route -> (guard in the channel) -> search -> compose: this is the route stage. It is pure:
the search is passed in, so it is tested without Rasa or an index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

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


@dataclass
class Route:
    kind: Literal["answer", "choices", "no_answer"]
    code: str | None = None
    aspect: Aspect = "overview"
    options: list[tuple[str, str]] = field(default_factory=list)  # (code, title): choices, or alternatives


MAX_CHOICES = 5


def route_turn(
    text: str,
    intent: str | None,
    context_code: str | None,
    picked_code: str | None,
    pending_aspect: str | None,
    search: Search,
    offered: Sequence[tuple[str, str]] = (),
) -> Route:
    """`offered`: the choices shown last, when none was picked yet; an aspect question then
    ("phí bao nhiêu?") offers them again, and the pick answers that aspect."""
    aspect = detect_aspect(text)
    if picked_code:  # a clarification button: answer what was asked before the question back
        return Route("answer", picked_code, aspect or as_aspect(pending_aspect) or "overview")

    follow_up = context_code is not None and (aspect is not None or intent == "ask_aspect")
    if follow_up and intent == "ask_aspect":  # about the procedure in context: nothing to search
        return Route("answer", context_code, aspect or "overview")

    # Only aspect words ("lệ phí bao nhiêu?"): nothing names a procedure. Otherwise search the
    # whole question: the engine sets aspect words aside itself, and ranks better with them
    # (dev set: hit@1 0.892 whole vs 0.884 stripped).
    named = strip_aspect_words(text) if aspect else text
    result = search(text) if named.strip(" ?.!,") else None
    if result is not None and result.decision == "answer":
        alternatives = [(hit.code, hit.title) for hit in result.hits[1 : MAX_CHOICES + 1]]
        return Route("answer", result.hits[0].code, aspect or "overview", alternatives)
    if follow_up:
        return Route("answer", context_code, aspect or "overview")
    if result is not None and result.decision == "clarify" and result.hits:
        options = [(hit.code, hit.title) for hit in result.hits[: min(result.choice_count or MAX_CHOICES, MAX_CHOICES)]]
        if context_code in [code for code, _ in options]:  # "hết hạn rồi" after "đổi bằng lái": still that one
            return Route("answer", context_code, aspect or "overview")
        return Route("choices", aspect=aspect or "overview", options=options)
    if aspect and offered and context_code is None:
        return Route("choices", aspect=aspect, options=list(offered))
    return Route("no_answer", aspect=aspect or "overview")
