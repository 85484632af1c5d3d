"""The payloads a citizen's client may send, defined once (plain Python, no Rasa import: the
answer composer in the action server and the channel guard in the Rasa server both use it).

The handoff's buttons send `/affirm`, `/deny` and `/ask_human` (INTENT_PAYLOADS).

A clarification button sends `choose_payload(code)`: the composer puts that exact string in
each button and in each option of the `choices` payload, and the widget sends it back as it is.
The widget builds it itself only for a deep link (`?thu_tuc=CODE`), in `choosePayload` of
web/static/widget/widget.js; tests/test_payloads.py checks that copy against this one.
"""

from __future__ import annotations

import re

CHOOSE_PROCEDURE = re.compile(r'^/choose_procedure\{\s*"procedure_code"\s*:\s*"(\d\.\d{6})"\s*\}$')
RESTART = "/restart"
# Intents a button may send as they are: the handoff's yes/no buttons and "talk to a person"
# (a citizen can say each in words too, so a client sending them gains nothing).
INTENT_PAYLOADS = ("/affirm", "/deny", "/ask_human")


def choose_payload(code: str) -> str:
    """The text a clarification button sends for the procedure `code`."""
    return f'/choose_procedure{{"procedure_code": "{code}"}}'


def chosen_code(text: str) -> str | None:
    """The procedure code of a `/choose_procedure` payload (spaces allowed around its JSON), or None."""
    match = CHOOSE_PROCEDURE.match(text.strip())
    return match.group(1) if match else None
