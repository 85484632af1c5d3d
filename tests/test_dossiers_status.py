"""Status texts (answers/templates/{vi,en}/_dossier.j2) and the overdue rule (dossiers/status.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from answers.compose import dossier_day, dossier_explanation, dossier_next_step, dossier_status_name
from dossiers.model import Dossier
from dossiers.status import STATUS_CODES, is_overdue

explain, next_step = dossier_explanation, dossier_next_step

NATIONAL_NAMES = {
    1: "Mới đăng ký",
    2: "Được tiếp nhận",
    3: "Không được tiếp nhận",
    4: "Đang xử lý",
    5: "Yêu cầu bổ sung giấy tờ",
    6: "Yêu cầu thực hiện nghĩa vụ tài chính",
    7: "Công dân yêu cầu rút hồ sơ",
    8: "Dừng xử lý",
    9: "Đã xử lý xong",
    10: "Đã trả kết quả",
}


def make(status: int, **changes: Any) -> Dossier:
    fields: dict[str, Any] = {
        "code": "000.00.31.H04-250714-0012",
        "procedure_code": "1.001193",
        "procedure_title": "Thủ tục đăng ký khai sinh",
        "received_date": "2025-07-14",
        "appointment_date": "2025-07-15",
        "status_code": status,
        "current_unit": "Công chức Tư pháp - Hộ tịch UBND phường Kinh Bắc",
        "supplement": "Giấy chứng sinh (bản chính)",
        "fee_paid": None,
        "pickup_place": "Bộ phận Một cửa UBND phường Kinh Bắc",
    }
    fields.update(changes)
    return Dossier(**fields)


def test_ten_national_statuses_with_both_languages() -> None:
    assert list(STATUS_CODES) == list(range(1, 11))
    assert {code: dossier_status_name(code, "vi") for code in STATUS_CODES} == NATIONAL_NAMES
    for code in STATUS_CODES:
        texts = [
            dossier_status_name(code, "en"),
            explain(make(code), "vi"),
            explain(make(code), "en"),
            next_step(make(code), "vi"),
            next_step(make(code), "en"),
        ]
        assert all(texts)
    assert len({dossier_status_name(code, "en") for code in STATUS_CODES}) == 10
    with pytest.raises(ValueError):
        dossier_status_name(11, "vi")
    with pytest.raises(ValueError):
        explain(make(1).model_copy(update={"status_code": 11}), "en")


@pytest.mark.parametrize("code", range(1, 11))
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_placeholder_is_filled_even_without_details(code: int, lang: str) -> None:
    bare = make(code, appointment_date=None, current_unit="", supplement=None, pickup_place="")
    for dossier in (make(code), bare):
        for text in (explain(dossier, lang), next_step(dossier, lang)):
            assert "{" not in text and "}" not in text and text.strip()


def test_supplement_next_step_names_the_documents() -> None:
    text = next_step(make(5, supplement="Bản sao sổ hộ khẩu"), "vi")
    assert "Bản sao sổ hộ khẩu" in text
    fallback = next_step(make(5, supplement=None), "en")
    assert "documents listed in the request" in fallback


def test_payment_next_step_says_how_to_pay() -> None:
    assert "Thanh toán" in next_step(make(6), "vi")
    assert "Pay" in next_step(make(6), "en")


def test_result_ready_says_where_and_when() -> None:
    vi = next_step(make(9, appointment_date="2025-07-20"), "vi")
    assert "Bộ phận Một cửa UBND phường Kinh Bắc" in vi and "20/07/2025" in vi
    assert "20 July 2025" in next_step(make(9, appointment_date="2025-07-20"), "en")


def test_dates_are_written_the_way_each_language_does() -> None:
    assert dossier_day(date(2025, 7, 5), "vi") == "05/07/2025"
    assert dossier_day(date(2025, 12, 3), "en") == "3 December 2025"


def test_is_overdue_only_while_the_administration_holds_it() -> None:
    due = date(2025, 7, 15)
    assert is_overdue(make(4), date(2025, 7, 16))
    assert is_overdue(make(2), date(2025, 8, 1))
    assert not is_overdue(make(4), due)  # due today is not late
    assert not is_overdue(make(4), date(2025, 7, 14))
    assert not is_overdue(make(5), date(2025, 8, 1))  # waiting on the citizen
    assert not is_overdue(make(9), date(2025, 8, 1))  # done, waiting for pickup
    assert not is_overdue(make(10), date(2025, 8, 1))
    assert not is_overdue(make(4, appointment_date=None), date(2025, 8, 1))
