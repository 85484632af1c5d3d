from __future__ import annotations

import pytest

from bot.privacy import mask_event, mask_text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1234", "****"),
        ("4 số cuối là 5678 ạ", "4 số cuối là **** ạ"),
        ("căn cước 027 195 001 234", "căn cước *** *** *** ***"),
        ("sdt 0912.345.678", "sdt ****.***.***"),
        ("+84912345678", "+***********"),
        ("mã 000.00.31.H04-250714-0012 nhé", "mã 000.00.31.H04-250714-0012 nhé"),
        ("ma G22.39 - 250915 - 0123 so 4321", "ma G22.39 - 250915 - 0123 so ****"),
        ("lệ phí 50.000 đồng", "lệ phí 50.000 đồng"),
        ("thủ tục 1.001193", "thủ tục 1.001193"),
    ],
)
def test_mask_text(text, expected):
    assert mask_text(text) == expected


def test_user_event_is_masked_everywhere_it_repeats_the_digits():
    event = {
        "event": "user",
        "text": "so cuoi 9876",
        "parse_data": {"text": "so cuoi 9876", "entities": [{"entity": "identity_digits", "value": "9876"}]},
    }
    masked = mask_event(event)
    assert "9876" not in str(masked)
    assert event["text"] == "so cuoi 9876"  # the live event is untouched


def test_identity_slot_is_masked_but_other_slots_are_kept():
    assert mask_event({"event": "slot", "name": "identity_digits", "value": "so cuoi 9876"})["value"] == "****"
    assert mask_event({"event": "slot", "name": "identity_digits", "value": None})["value"] is None
    code = {"event": "slot", "name": "dossier_code", "value": "000.00.31.H04-250714-0012"}
    assert mask_event(code) == code
