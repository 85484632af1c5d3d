"""Turn a structured procedure record into the citizen's reply: plain text plus a stable
machine-readable payload. Wording lives in templates/<language>/*.j2, never here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.payloads import choose_payload
from dossiers import Dossier, status
from knowledge.aspects import Aspect
from knowledge.guides import LifeEvent, Referral
from knowledge.language import LANGUAGES
from knowledge.model import CHANNEL_NAMES, Channel, Procedure

VIETNAM_TIME = timezone(timedelta(hours=7))
MAX_DOCUMENTS = 12
MAX_STEPS = 8

_env = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
    undefined=StrictUndefined,
    autoescape=False,  # plain text for chat channels; the widget escapes on display
)
# `{{ day | format_date("dd/MM/y", "vi") }}`: the pattern and the locale are the template's.
_env.filters["format_date"] = lambda day, pattern, locale: format_date(day, pattern, locale=locale)
_env.globals["channel_names"] = CHANNEL_NAMES  # `channel_names["vi"][kind]`: knowledge.model's names


@dataclass
class Place:
    """Where a resident submits: their ward's centre when known, and the province's."""

    province_center: str
    ward_center: str | None = None


@dataclass
class Reply:
    text: str
    custom: dict[str, Any]
    buttons: list[dict[str, str]] = field(default_factory=list)


def _language(language: str | None) -> str:
    return language if language in LANGUAGES else "vi"


def _render(language: str | None, name: str, **values: Any) -> str:
    template = _env.get_template(f"{_language(language)}/{name}.j2")
    lines = (line.rstrip() for line in template.render(**values).strip().splitlines())
    # No blank lines: Rasa's channels split a text into separate messages at each one.
    return "\n".join(line for line in lines if line)


def procedure_answer(procedure: Procedure, aspect: Aspect, language: str | None, place: Place) -> Reply:
    text = _render(
        language,
        aspect,
        p=procedure,
        place=place,
        max_documents=MAX_DOCUMENTS,
        max_steps=MAX_STEPS,
    )
    custom = {
        "type": "procedure",
        "code": procedure.code,
        "title": procedure.title,
        "aspect": aspect,
        "source_url": procedure.source_url,
    }
    return Reply(text, custom)


def choices(options: list[tuple[str, str]], language: str | None) -> Reply:
    text = _render(language, "choices", options=options)
    # Each option carries the exact text its button sends: the widget sends it back as it is.
    buttons = [{"title": title, "payload": choose_payload(code)} for code, title in options]
    custom = {"type": "choices", "options": [{"code": c, "title": t, "payload": choose_payload(c)} for c, t in options]}
    return Reply(text, custom, buttons)


def display_title(procedure: Procedure, language: str | None) -> str:
    """The procedure's name for a button: our English title in English when we have one."""
    return procedure.overlay.title_en if _language(language) == "en" and procedure.overlay.title_en else procedure.title


def life_event(event: LifeEvent, procedures: list[Procedure], language: str | None) -> Reply:
    """A life event's guide: its steps in order (those the index has), each one a tap away."""
    by_code = {p.code: p for p in procedures}
    steps = [(step, by_code[step.code]) for step in event.steps if step.code in by_code]
    text = _render(language, "life_event", event=event, steps=steps)
    buttons = [{"title": display_title(p, language), "payload": choose_payload(p.code)} for _, p in steps]
    custom = {
        "type": "life_event",
        "event": event.id,
        "steps": [{"code": p.code, "title": p.title, "payload": choose_payload(p.code)} for _, p in steps],
    }
    return Reply(text, custom, buttons)


def referral(referral: Referral, language: str | None) -> Reply:
    """A question the catalog does not hold: where it is handled instead."""
    return Reply(_render(language, "referral", referral=referral), {"type": "referral", "topic": referral.id})


def no_answer(language: str | None, hotline: str, hours: str) -> Reply:
    return Reply(_render(language, "no_answer", hotline=hotline, hours=hours), {"type": "no_answer"})


def handoff(language: str | None, hotline: str, hours: str, place: Place) -> Reply:
    text = _render(language, "handoff", hotline=hotline, hours=hours, place=place)
    return Reply(text, {"type": "handoff", "hotline": hotline, "hours": hours})


def locality(match: Any, procedure: Procedure | None, language: str | None, province_center: str) -> Reply:
    """`match` is a knowledge.locality.WardMatch, or None when no Bắc Ninh unit was recognised."""
    text = _render(language, "locality", match=match, p=procedure, province_center=province_center)
    custom: dict[str, Any] = {"type": "locality", "found": match is not None}
    if match is not None:
        custom.update(
            ward=match.ward.full_name,
            former_unit=match.unit if match.is_former else None,
            service_center=match.ward.service_center,
        )
    return Reply(text, custom)


def _macro(language: str | None, parts: str, name: str, *args: Any) -> str:
    module = _env.get_template(f"{_language(language)}/{parts}.j2").module
    return str(getattr(module, name)(*args)).strip()


def _dossier_macro(language: str | None, name: str, *args: Any) -> str:
    """One macro of templates/<language>/_dossier.j2: the dossier statuses' wording."""
    return _macro(language, "_dossier", name, *args)


def fee_text(channel: Channel, language: str | None) -> str:
    """A channel's fee as the answers word it (templates/<language>/_parts.j2 `fee`); the web pages use it too."""
    return _macro(language, "_parts", "fee", channel)


def where_lines(p: Procedure, place: Place, language: str | None) -> list[str]:
    """Where to submit, as the answers word it (`_parts.j2` `where`), one line per fact."""
    return [line.strip() for line in _macro(language, "_parts", "where", p, place).splitlines() if line.strip()]


def dossier_status_name(code: int, language: str | None) -> str:
    """The national list's name of status `code` (ValueError for a code not on it)."""
    return _dossier_macro(language, "status_name", status.check_code(code))


def dossier_explanation(dossier: Dossier, language: str | None) -> str:
    """What the dossier's status means, in plain words, with the dossier's own details."""
    status.check_code(dossier.status_code)
    return _dossier_macro(language, "explain", dossier)


def dossier_next_step(dossier: Dossier, language: str | None) -> str:
    """What the citizen does next, with the dossier's own details."""
    status.check_code(dossier.status_code)
    return _dossier_macro(language, "next_step", dossier)


def dossier_day(day: date, language: str | None) -> str:
    """A date as the dossier answers write it ("20/07/2025", "20 July 2025")."""
    return _dossier_macro(language, "day", day)


def dossier_status(dossier: Dossier, language: str | None, today: date) -> Reply:
    """`dossier` comes with name and phone already masked."""
    overdue = status.is_overdue(dossier, today)
    name = dossier_status_name(dossier.status_code, language)
    text = _render(language, "dossier_status", d=dossier, overdue=overdue)
    custom = {
        "type": "dossier_status",
        "code": dossier.code,
        "status_code": dossier.status_code,
        "status": name,
        "appointment_date": dossier.appointment_date.isoformat() if dossier.appointment_date else None,
        "overdue": overdue,
    }
    return Reply(text, custom)


def dossier_not_found(language: str | None) -> Reply:
    return Reply(_render(language, "dossier_not_found"), {"type": "dossier_not_found"})


def dossier_locked(language: str | None, until: datetime, now: datetime | None = None) -> Reply:
    """Checks wait until `until` (a growing delay after failed checks, never a lasting lock)."""
    local = until.astimezone(VIETNAM_TIME)
    seconds = max(0.0, (until - (now or datetime.now(UTC))).total_seconds())
    minutes = max(1, -(-int(seconds) // 60))
    return Reply(
        _render(language, "dossier_locked", until=local.strftime("%H:%M"), minutes=minutes),
        {"type": "dossier_locked", "until": until.isoformat(), "wait_seconds": int(seconds)},
    )


def dossier_unavailable(language: str | None, hotline: str) -> Reply:
    return Reply(_render(language, "dossier_unavailable", hotline=hotline), {"type": "dossier_unavailable"})
