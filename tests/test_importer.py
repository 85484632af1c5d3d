"""Importer for the national-portal export: the real file, named records, and bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from knowledge.importer import (
    ImportResult,
    SkippedRecord,
    fee_amount,
    import_export,
    iter_export,
    parse_channels,
    parse_documents,
    parse_legal_basis,
    parse_levels,
    parse_result,
    parse_steps,
)
from knowledge.model import Procedure

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
EXPORT = DATA / "dvc-procedures-2026.jsonl.gz"
RECORDS_IN_EXPORT = 2642


@pytest.fixture(scope="module")
def catalog() -> ImportResult:
    if not DATA.is_dir():
        pytest.skip(f"real catalog not available: {DATA} is absent")
    return import_export(EXPORT)


@pytest.fixture(scope="module")
def by_code(catalog: ImportResult) -> dict[str, Procedure]:
    return {p.code: p for p in catalog.procedures}


def kinds(procedure: Procedure) -> set[str]:
    return {c.kind for c in procedure.channels}


def doc_named(procedure: Procedure, start: str):  # noqa: ANN201 - a Document
    found = [d for d in procedure.documents if d.name.startswith(start)]
    assert found, f"{procedure.code}: no document starting {start!r}"
    return found[0]


# ---------------------------------------------------------------------------------------------
# The whole file


@pytest.mark.catalog
def test_imports_at_least_99_percent(catalog: ImportResult) -> None:
    assert catalog.total == RECORDS_IN_EXPORT
    assert catalog.imported / catalog.total >= 0.99, catalog.summary()
    assert len({p.code for p in catalog.procedures}) == catalog.imported


@pytest.mark.catalog
def test_flattened_tables_parse_for_nearly_every_record(catalog: ImportResult) -> None:
    procedures = catalog.procedures

    def share(test) -> float:  # noqa: ANN001
        return sum(1 for p in procedures if test(p)) / len(procedures)

    assert share(lambda p: p.channels) >= 0.99
    assert share(lambda p: p.documents) >= 0.97
    assert share(lambda p: p.steps) >= 0.99
    assert share(lambda p: p.levels) >= 0.98
    assert share(lambda p: p.legal_basis) >= 0.95
    # every channel row keeps its fee as written, and free means 0 đồng
    channels = [c for p in procedures for c in p.channels]
    assert all(c.fee_vnd == 0 for c in channels if c.fee == "Miễn phí")
    assert sum(1 for c in channels if c.fee_vnd and c.fee_vnd > 0) >= 500


# ---------------------------------------------------------------------------------------------
# Named records, checked against what the portal text says


@pytest.mark.catalog
def test_birth_registration_free_on_three_channels(by_code: dict[str, Procedure]) -> None:
    p = by_code["1.001193"]  # Thủ tục đăng ký khai sinh
    assert p.title == "Thủ tục đăng ký khai sinh"
    assert p.levels == ["commune"]
    assert p.field == "Hộ tịch"
    assert kinds(p) == {"online", "post", "in_person"}
    for channel in p.channels:
        assert channel.fee == "Miễn phí" and channel.fee_vnd == 0
        assert channel.time_limit == "1" and channel.time_days == 1.0  # the portal drops the unit
    assert len(p.documents) == 33  # 33 rows in four tables
    assert sum(1 for d in p.documents if d.copies) == 8  # the others are "0 bản chính" notes
    birth_cert = doc_named(p, "Giấy chứng sinh")
    assert (birth_cert.copies, birth_cert.group) == ("1 bản chính", "Giấy tờ phải nộp")
    shown = doc_named(p, "Hộ chiếu/Thẻ căn cước công dân")
    assert shown.group == "Giấy tờ phải xuất trình"
    assert doc_named(p, "Tờ khai đăng ký khai sinh theo mẫu").copies == "1 bản chính"
    assert p.result == "Giấy khai sinh"
    assert "Luật 60/2014/QH13" in p.legal_basis
    assert any(item.startswith("Nghị định số 123/2015/NĐ-CP") for item in p.legal_basis)
    assert p.source_url == "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/019d2bfd-3fe0-70ac-b9d6-5e9e20d6eef7"
    assert p.conditions == "" and p.agency == ""  # "Không có thông tin" and blank on the portal


@pytest.mark.catalog
def test_marriage_registration_documents_to_show(by_code: dict[str, Procedure]) -> None:
    p = by_code["1.000894"]  # Thủ tục đăng ký kết hôn
    shown = [d for d in p.documents if d.group == "Giấy tờ phải xuất trình"]
    assert len(shown) == 6
    assert shown[0].name.startswith("Hộ chiếu/Thẻ căn cước công dân") and shown[0].copies == "1 bản chính"
    assert {c.fee_vnd for c in p.channels} == {0}  # "Miễn phí (Miễn lệ phí. …)"
    assert p.result == "Giấy chứng nhận kết hôn"


@pytest.mark.catalog
def test_passport_fee_differs_by_channel(by_code: dict[str, Procedure]) -> None:
    p = by_code["1.001456"]  # Cấp hộ chiếu phổ thông ở trong nước (cấp tỉnh)
    assert p.levels == ["province"]
    assert kinds(p) == {"online", "post", "in_person"}
    assert {c.time_limit for c in p.channels} == {"8 Ngày làm việc"}
    assert {c.time_days for c in p.channels} == {8.0}
    online, in_person = p.channel("online"), p.channel("in_person")
    assert online is not None and online.fee.startswith("160,000 Việt Nam Đồng")
    assert in_person is not None and in_person.fee.startswith("200,000 Việt Nam Đồng")
    # each note also gives the re-issue fee (320.000đ / 400.000đ): several amounts, no single figure
    assert online.fee_vnd is None and in_person.fee_vnd is None
    assert len(p.documents) == 6
    form = doc_named(p, "Tờ khai đề nghị cấp hộ chiếu phổ thông ở trong nước")
    assert form.template == "Mau TK01a to khai trẻ em cap HCPT ở trong nước TK01a MỚI.doc"
    assert "MỚI.doc" not in form.name and form.copies == "1 bản chính"
    assert doc_named(p, "Bản sao giấy khai sinh").copies == "1 bản chính, 1 bản sao"
    assert doc_named(p, "Trường hợp nộp hồ sơ trực tuyến").copies == ""  # "0 bản chính"


@pytest.mark.catalog
def test_land_change_registration(by_code: dict[str, Procedure]) -> None:
    p = by_code["1.013992"]  # Đăng ký biến động chuyển mục đích sử dụng đất không phải xin phép
    assert p.field == "Đất đai" and p.levels == ["province"]
    assert {c.time_days for c in p.channels} == {7.0}
    # "Miễn phí" but the note defers to the fee law: not a clear 0
    assert {c.fee_vnd for c in p.channels} == {None}
    assert [d.name[:22] for d in p.documents] == [
        "Giấy chứng nhận đã cấp",
        "Mảnh trích đo bản đồ đ",
        "Văn bản về việc đại di",
        "Đơn đăng ký biến động ",
    ]  # "(2) ", "(3) " … numbering removed
    assert [d.copies for d in p.documents] == ["1 bản sao"] * 3 + ["1 bản chính"]
    assert p.result.startswith("Giấy chứng nhận quyền sử dụng đất; ")


@pytest.mark.catalog
def test_temporary_vehicle_registration_in_hours(by_code: dict[str, Procedure]) -> None:
    p = by_code["1.013083"]  # Đăng ký xe tạm thời … trực tuyến toàn trình
    assert p.levels == ["ministry", "province", "commune"]
    assert kinds(p) == {"online"}
    (online,) = p.channels
    assert online.time_limit == "8 Giờ" and online.time_days == 1.0  # 8 hours = one working day
    assert online.note.startswith("- Cách thức thực hiện:")
    assert len(p.documents) == 3
    assert doc_named(p, "Giấy khai đăng ký xe (mẫu ĐKX10/79").copies == "1 bản chính"
    assert p.result == "Giấy chứng nhận đăng ký xe tạm thời; Biển số xe tạm thời"


@pytest.mark.catalog
def test_customs_notice_in_two_hours(by_code: dict[str, Procedure]) -> None:
    p = by_code["1.011724"]
    assert kinds(p) == {"online", "in_person"}
    assert {(c.time_limit, c.time_days, c.fee_vnd) for c in p.channels} == {("2 Giờ", 0.25, 0)}
    # "…theo mẫu do Bộ Tài chính ban hành: 01 bản chính.1 bản chính,1 bản sao": the prose count stays in the name
    assert len(p.documents) == 3
    assert p.documents[0].name.endswith("ban hành: 01 bản chính.")
    assert p.documents[0].copies == "1 bản chính, 1 bản sao"


@pytest.mark.catalog
def test_judicial_record_certificate(by_code: dict[str, Procedure]) -> None:
    p = by_code["3.000333"]  # Cấp Phiếu Lý lịch tư pháp …
    assert p.field == "Lý lịch tư pháp" and p.levels == ["province"]
    assert {(c.time_limit, c.time_days) for c in p.channels} == {("10 Ngày", 10.0)}
    assert len(p.documents) == 7
    assert all(d.copies == "1 bản chính" for d in p.documents)
    assert doc_named(p, "Các giấy tờ để chứng minh đối tượng miễn, hoặc giảm phí")
    assert p.result == "Phiếu Lý lịch tư pháp số 2 (Cấp tỉnh); Phiếu Lý lịch tư pháp số 1 (Cấp tỉnh)"


@pytest.mark.catalog
def test_permanent_residence_fee_amounts(by_code: dict[str, Procedure]) -> None:
    p = by_code["1.004222"]  # Đăng ký thường trú
    assert kinds(p) == {"online", "in_person"}
    online, in_person = p.channel("online"), p.channel("in_person")
    assert online is not None and online.fee_vnd == 10_000  # "10,000 Việt Nam Đồng (… 10.000 đồng/lần …)"
    assert in_person is not None and in_person.fee_vnd == 20_000
    groups = {d.group for d in p.documents}
    assert "Đăng ký thường trú vào chỗ ở hợp pháp thuộc quyền sở hữu của mình" in groups
    assert p.agency == "Công an cấp Xã"
    assert p.conditions.startswith("Người thực hiện thủ tục đã được thu thập")


@pytest.mark.catalog
def test_id_card_fee_and_template(by_code: dict[str, Procedure]) -> None:
    p = by_code["1.000889"]  # Cấp đổi thẻ căn cước (cấp trung ương)
    assert p.levels == ["ministry"]
    (in_person,) = p.channels
    assert in_person.kind == "in_person" and in_person.time_days == 7.0 and in_person.fee_vnd == 50_000
    form = doc_named(p, "Phiếu thu nhận thông tin căn cước")
    assert form.template == "Mẫu CC01 Phiếu thu nhận thông tin căn cước.doc"
    assert "Luật Căn cước (26/2023/QH15)" in p.legal_basis


@pytest.mark.catalog
def test_amount_written_in_thousands(by_code: dict[str, Procedure]) -> None:
    p = by_code["1.000014"]  # cell "Trực tuyến120 VNĐ(20.000 vnđ /tờ khai)": time "1", fee "20 VNĐ"
    for channel in p.channels:
        assert channel.time_limit == "1"
        assert channel.fee.startswith("20 VNĐ") and channel.fee_vnd == 20_000
    assert p.conditions == ""  # only the result table's "Từ khóa … Mô tả" noise was there


@pytest.mark.catalog
def test_tax_return_without_result_time(by_code: dict[str, Procedure]) -> None:
    p = by_code["2.002235"]
    assert kinds(p) == {"online", "post", "in_person"}
    for channel in p.channels:
        assert channel.time_limit == "Không phải trả kết quả cho người nộp thuế"
        assert channel.time_days is None and channel.fee_vnd == 0
    assert [d.template for d in p.documents] == ["Mẫu 05 KK-TNCN.docx", "Mẫu 05-1 PBT-KK-TNCN.docx"]


@pytest.mark.catalog
def test_misaligned_page_is_recut_from_page_text(by_code: dict[str, Procedure]) -> None:
    # The steps say "(Thành phần hồ sơ)", where the crawler cut the steps off.
    p = by_code["1.001656"]
    assert [s[:7] for s in p.steps] == ["Bước 1.", "Bước 2.", "Bước 3."]
    assert len(p.documents) == 3
    assert p.documents[0].group == "1. Đối với việc thanh toán trực tiếp chi phí KCB"


@pytest.mark.catalog
def test_legal_basis_rows_split(by_code: dict[str, Procedure]) -> None:
    p = by_code["1.007887"]
    assert p.legal_basis[1:5] == [
        "Quyết định 601/QĐ-BTC",
        "Nghị định 08/2015/NĐ-CP",
        "Luật 54/2014/QH13",
        "Thông tư 93/2018/TT-BTC",
    ]
    assert p.legal_basis[0].startswith("Thông tư số 19/2014/TT-BTC ngày 11/02/2014")
    assert len(p.legal_basis) == 9


# ---------------------------------------------------------------------------------------------
# Bad input: skipped with a reason, never a crash


def _good(code: str = "9.000001", **extra: object) -> dict[str, object]:
    return {
        "ma_thu_tuc": code,
        "ten_thu_tuc": "Thủ tục thử",
        "cap_thuc_hien": "Cấp tỉnh, Cấp xã",
        "cach_thuc_thuc_hien": "Hình thức nộpThời gianPhí, lệ phíMô tảTrực tiếp3 Ngày làm việcMiễn phí",
        **extra,
    }


def _write(path: Path, lines: list[str | bytes]) -> Path:
    path.write_bytes(b"\n".join(line if isinstance(line, bytes) else line.encode() for line in lines) + b"\n")
    return path


def test_bad_lines_are_skipped_with_reasons(tmp_path: Path) -> None:
    lines: list[str | bytes] = [
        json.dumps(_good("9.000001"), ensure_ascii=False),  # 1 ok
        '{"ma_thu_tuc": "9.000002", "ten_thu_tuc": ',  # 2 truncated JSON
        json.dumps({"ten_thu_tuc": "Không có mã"}, ensure_ascii=False),  # 3 no code
        json.dumps(_good(9.000004)),  # 4 code is a number
        json.dumps(_good("9.000005", ten_thu_tuc=["a", "b"])),  # 5 title is a list
        json.dumps(_good("9.000006", thanh_phan_ho_so={"x": 1})),  # 6 documents is an object
        "",  # blank line: not a record
        json.dumps(["not", "an", "object"]),  # 8
        b'{"ma_thu_tuc": "9.000009", "ten_thu_tuc": "\xff\xfe"}',  # 9 not UTF-8
        json.dumps(_good("9.000001")),  # 10 duplicate code
        json.dumps(_good("9.000011", ten_thu_tuc="   ")),  # 11 blank title
        json.dumps(_good("9.000012", linh_vuc=None, cach_thuc_thuc_hien="rác không có bảng")),  # 12 ok
    ]
    result = import_export(_write(tmp_path / "bad.jsonl", lines))
    assert [p.code for p in result.procedures] == ["9.000001", "9.000012"]
    assert [(s.line, s.reason) for s in result.skipped] == [
        (2, "bad JSON"),
        (3, "missing code"),
        (4, "wrong type"),
        (5, "wrong type"),
        (6, "wrong type"),
        (8, "not an object"),
        (9, "bad encoding"),
        (10, "duplicate code"),
        (11, "missing title"),
    ]
    assert result.skipped[3].detail == "ten_thu_tuc: list"
    assert result.procedures[1].channels == [] and result.procedures[1].field == ""
    summary = result.summary()
    assert summary.startswith("imported 2, skipped 9 of 11 records")
    assert "wrong type: 3 (lines 4, 5, 6)" in summary


def test_gzip_and_truncated_gzip(tmp_path: Path) -> None:
    rows = [json.dumps(_good(f"9.{i:06d}"), ensure_ascii=False) for i in range(200)]
    blob = gzip.compress("\n".join(rows).encode())
    whole = tmp_path / "ok.jsonl.gz"
    whole.write_bytes(blob)
    assert import_export(whole).imported == 200
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(blob[: len(blob) // 2])
    items = list(iter_export(cut))
    assert isinstance(items[-1], SkippedRecord) and items[-1].reason == "unreadable file"
    assert all(isinstance(i, Procedure) for i in items[:-1])


def test_parsed_procedure_from_minimal_record(tmp_path: Path) -> None:
    (p,) = import_export(_write(tmp_path / "one.jsonl", [json.dumps(_good(), ensure_ascii=False)])).procedures
    assert p.levels == ["province", "commune"]
    assert [(c.kind, c.time_days, c.fee_vnd) for c in p.channels] == [("in_person", 3.0, 0)]


# ---------------------------------------------------------------------------------------------
# The table parsers on hand-written cells


def test_channels_glued_without_separators() -> None:
    cell = (
        "Hình thức nộpThời gianPhí, lệ phíMô tả"
        "Trực tuyến2 GiờMiễn phíNộp trên Cổng dịch vụ công."
        "Dịch vụ bưu chính1100,000 VNĐ(100.000 đồng/lần)"
        "Trực tiếp15 Ngày50,000 Việt Nam Đồng(Lệ phí : 50.000 Đồng; cấp lại: 25.000 đồng)Nộp tại - Trực tiếp: bộ phận một cửa"
    )
    online, post, in_person = parse_channels(cell)
    assert (online.kind, online.time_days, online.fee_vnd, online.note) == (
        "online",
        0.25,
        0,
        "Nộp trên Cổng dịch vụ công.",
    )
    assert (post.kind, post.time_limit, post.fee_vnd) == ("post", "1", 100_000)  # "1" + "100,000 VNĐ"
    assert (in_person.time_limit, in_person.time_days, in_person.fee_vnd) == ("15 Ngày", 15.0, None)
    assert in_person.fee == "50,000 Việt Nam Đồng (Lệ phí : 50.000 Đồng; cấp lại: 25.000 đồng)"
    assert in_person.note == "Nộp tại - Trực tiếp: bộ phận một cửa"


def test_fee_amounts() -> None:
    assert fee_amount("Miễn phí") == 0
    assert fee_amount("Miễn phí", "Không quy định.") == 0
    assert fee_amount("Miễn phí", "Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh quyết định") is None
    assert fee_amount("8,000 Việt Nam Đồng", "Lệ phí : 8.000 Đồng") == 8_000
    assert fee_amount("2,000,000 Việt Nam Đồng", "cấp mới 2.000.000 đồng/lần; cấp lại 1.000.000 đồng/lần") is None
    assert fee_amount("10 USD") is None
    assert fee_amount("Không có thông tin") is None


def test_documents_with_groups_templates_and_copies() -> None:
    cell = (
        "* Giấy tờ phải nộp:Tên giấy tờMẫu đơn, tờ khaiSố lượng"
        "- Tờ khai theo Mẫu số 01 ban hành kèm theo Thông tư số 01/2025/TT-BTP;Mẫu số 01.docx1 bản chính"
        "Bản sao Giấy chứng nhận năm 20250 bản chính,1 bản sao"
        "* Giấy tờ phải xuất trình:Tên giấy tờMẫu đơn, tờ khaiSố lượng"
        "Giấy tờ tùy thân01 bản chính"
    )
    form, copy, identity = parse_documents(cell)
    assert (form.name, form.template, form.copies, form.group) == (
        "Tờ khai theo Mẫu số 01 ban hành kèm theo Thông tư số 01/2025/TT-BTP",
        "Mẫu số 01.docx",
        "1 bản chính",
        "Giấy tờ phải nộp",
    )
    assert (copy.name, copy.copies) == ("Bản sao Giấy chứng nhận năm 2025", "1 bản sao")
    assert (identity.name, identity.copies, identity.group) == (
        "Giấy tờ tùy thân",
        "1 bản chính",
        "Giấy tờ phải xuất trình",
    )
    assert parse_documents("--") == []


def test_steps_levels_result_and_legal_basis() -> None:
    assert parse_steps("Bước 1: Nộp hồ sơ.\n- chi tiết\nBước 2: Nhận kết quả.") == [
        "Bước 1: Nộp hồ sơ.\n- chi tiết",
        "Bước 2: Nhận kết quả.",
    ]
    assert parse_steps("- Nộp hồ sơ\n+ kèm giấy tờ\n- Nhận kết quả") == ["Nộp hồ sơ\n+ kèm giấy tờ", "Nhận kết quả"]
    assert parse_steps("Đoạn một.\n\nĐoạn hai.") == ["Đoạn một.", "Đoạn hai."]
    assert parse_levels("Cấp bộ, Cấp xã, Cơ quan khác") == ["ministry", "commune"]
    assert parse_result("Giấy phépMã: KQ.G01.000001Văn bản từ chốiMã: KQ.G01.000002Từ khóaKhông có thông tin") == (
        "Giấy phép; Văn bản từ chối"
    )
    assert parse_result("Không có thông tin") == ""
    assert parse_legal_basis(
        "Tên văn bản pháp lýMã văn bảnLuật Hộ tịch60/2014/QH13Nghị định 123/2015/NĐ-CP123/2015/NĐ-CP"
    ) == ["Luật Hộ tịch (60/2014/QH13)", "Nghị định 123/2015/NĐ-CP"]
    assert parse_legal_basis("Không có thông tin") == []
