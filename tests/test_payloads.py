"""bot/payloads.py is the one home of the `/choose_procedure` text: the answer composer's buttons
and choice options carry it, the channel guard accepts only it, and the widget's one copy (for a
deep link, which has no bot message to take it from) builds the same text."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from answers import compose
from bot.channels.guard import citizen_text
from bot.payloads import choose_payload, chosen_code
from tests.conftest import REPO

CODES = ["1.001193", "2.000815", "3.000347"]
WIDGET = REPO / "web" / "static" / "widget" / "widget.js"


@pytest.mark.parametrize("code", CODES)
def test_a_pick_reads_back_as_its_code_and_passes_the_guard_unchanged(code: str) -> None:
    payload = choose_payload(code)
    assert payload == f'/choose_procedure{{"procedure_code": "{code}"}}'
    assert chosen_code(payload) == code and citizen_text(payload) == payload


@pytest.mark.parametrize(
    "text",
    [
        "/choose_procedure",
        '/choose_procedure{"procedure_code": "1.00119"}',
        '/choose_procedure{"code": "1.001193"}',
        "choose_procedure 1.001193",
    ],
)
def test_anything_else_is_no_pick(text: str) -> None:
    assert chosen_code(text) is None


def test_every_choice_carries_the_exact_text_its_button_sends() -> None:
    reply = compose.choices([(code, f"Thủ tục {code}") for code in CODES], "vi")
    assert [b["payload"] for b in reply.buttons] == [o["payload"] for o in reply.custom["options"]]
    assert [o["payload"] for o in reply.custom["options"]] == [choose_payload(code) for code in CODES]


def test_the_widgets_one_copy_builds_the_same_text() -> None:
    source = WIDGET.read_text(encoding="utf-8")
    functions = re.findall(r"^\s*function choosePayload\(code\) \{.*\}$", source, flags=re.M)
    assert len(functions) == 1, "widget.js must build the payload in choosePayload only"
    assert source.count("/choose_procedure") == 1
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = functions[0].strip() + f"\nprocess.stdout.write(JSON.stringify({json.dumps(CODES)}.map(choosePayload)));"
    built = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=30, check=True).stdout
    assert json.loads(built) == [choose_payload(code) for code in CODES]


def test_choices_survive_the_tracker_stores_masking_unchanged() -> None:
    from bot.privacy import mask_event

    reply = compose.choices([(code, f"Thủ tục {code}") for code in CODES], "vi")
    event = {
        "event": "bot",
        "text": reply.text,
        "data": {"custom": reply.custom, "buttons": reply.buttons},
        "metadata": {"utter_action": "action_answer_procedure"},
    }
    assert mask_event(event) == event
