"""Status texts (dossiers/status.yaml) and the overdue rule."""
from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from dossiers.model import Dossier
from dossiers.status import all_statuses, explain, is_overdue, next_step, status_info

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
    statuses = all_statuses()
    assert [s.code for s in statuses] == list(range(1, 11))
    assert {s.code: s.name_vi for s in statuses} == NATIONAL_NAMES
    for s in statuses:
        assert all([s.name_en, s.explain_vi, s.explain_en, s.next_vi, s.next_en])
    with pytest.raises(ValueError):
        status_info(11)


@pytest.mark.parametrize("code", range(1, 11))
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_placeholder_is_filled_even_without_details(code: int, lang: str) -> None:
    bare = make(code, appointment_date=None, current_unit="", supplement=None, pickup_place="")
    for dossier in (make(code), bare):
        for text in (explain(dossier, lang), next_step(dossier, lang)):  # type: ignore[arg-type]
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
