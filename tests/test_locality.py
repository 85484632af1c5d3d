"""Bắc Ninh wards after the 2025 merger, and finding them in citizen text."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from knowledge.curated import load_curated
from knowledge.locality import Localities
from knowledge.text import fold

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="module")
def loc() -> Localities:
    return Localities.load()


def test_fold() -> None:
    assert fold("  Phường  Thọ Xương ") == "phuong tho xuong"
    assert fold("ĐỒNG KỴ") == "dong ky"
    assert fold("Phúc Hoà") == fold("Phúc Hòa") == "phuc hoa"


def test_99_wards_33_phuong(loc: Localities) -> None:
    assert len(loc.wards) == 99
    assert len({w.name for w in loc.wards}) == 99
    assert sum(w.kind == "phường" for w in loc.wards) == 33
    assert {w.kind for w in loc.wards} == {"xã", "phường"}
    for w in loc.wards:
        assert w.service_center == f"Trung tâm Phục vụ hành chính công {w.kind} {w.name}"


def test_contact_config(loc: Localities) -> None:
    assert loc.province == "Bắc Ninh"
    assert loc.hotline.isdigit()
    assert loc.hours and loc.province_service_center.endswith("Bắc Ninh")
    assert loc.hours_in("en").startswith("Monday") and loc.hours_in("vi") == loc.hours


@pytest.mark.parametrize(
    ("text", "ward", "is_former", "unit"),
    [
        ("tôi ở xã Lệ Viễn cũ thì nộp ở đâu", "An Lạc", True, "Xã Lệ Viễn"),
        ("toi o xa le vien cu thi nop o dau", "An Lạc", True, "Xã Lệ Viễn"),
        ("phuong Tho Xuong", "Bắc Giang", True, "Phường Thọ Xương"),
        ("Nhà tôi ở P. Thọ Xương, TP Bắc Giang", "Bắc Giang", True, "Phường Thọ Xương"),
        ("thị trấn Lim huyện Tiên Du", "Tiên Du", True, "Thị trấn Lim"),
        ("thi tran cho", "Yên Phong", True, "Thị trấn Chờ"),
        ("tôi ở phường Kinh Bắc", "Kinh Bắc", False, "Phường Kinh Bắc"),
        ("xa tuan dao lam so do o dau", "Tuấn Đạo", False, "Xã Tuấn Đạo"),
        ("Võ Cường", "Võ Cường", False, "Phường Võ Cường"),
        ("phường Hồ cũ", "Thuận Thành", True, "Phường Hồ"),
        # same folded name, told apart by the prefix or by the diacritics as typed
        ("phuong dong ky", "Đồng Nguyên", True, "Phường Đồng Kỵ"),
        ("xã Đồng Kỳ", "Đồng Kỳ", False, "Xã Đồng Kỳ"),
        ("Đồng Kỵ", "Đồng Nguyên", True, "Phường Đồng Kỵ"),
        ("phuong dong son", "Tiền Phong", True, "Phường Đồng Sơn"),
        ("xa dong son", "Bố Hạ", True, "Xã Đông Sơn"),
        ("thi tran phuong son", "Lục Nam", True, "Thị trấn Phương Sơn"),
        ("xã Đồng Tiến huyện Yên Thế", "Xuân Lương", True, "Xã Đồng Tiến (huyện Yên Thế)"),
        ("xa dong tien hiep hoa", "Hoàng Vân", True, "Xã Đồng Tiến (huyện Hiệp Hòa)"),
    ],
)
def test_find_ward(loc: Localities, text: str, ward: str, is_former: bool, unit: str) -> None:
    m = loc.find_ward(text)
    assert m is not None, text
    assert (m.ward.name, m.is_former, m.unit) == (ward, is_former, unit)


def test_longest_match_wins(loc: Localities) -> None:
    # "Đại Đồng" is a ward, but "Đại Đồng Thành" is a longer former unit of Thuận Thành.
    m = loc.find_ward("xã Đại Đồng Thành")
    assert m is not None and m.ward.name == "Thuận Thành"
    m = loc.find_ward("xã Đại Đồng")
    assert m is not None and m.ward.name == "Đại Đồng"


def test_ambiguous_name_lists_alternatives(loc: Localities) -> None:
    m = loc.find_ward("dong ky")  # no prefix, no diacritics: either Đồng Kỳ or old Đồng Kỵ
    assert m is not None
    assert {m.ward.name, *(w.name for w in m.alternatives)} == {"Đồng Kỳ", "Đồng Nguyên"}


@pytest.mark.parametrize(
    "text",
    [
        "làm giấy khai sinh cho con cần gì",
        "lam so do het bao lau",
        "Chũ",  # one syllable without a prefix
        "ho so gom nhung gi",  # "hồ" alone is not phường Hồ
        "thị xã Quế Võ",  # a former district-level town, not the new ward
        "đăng ký biến động đất đai",  # a word, not the ward Biển Động
        "dang ky bien dong dat dai",  # unaccented and without a place cue
        "cải tạo mặt tiền nhà",  # not the former xã Tiên Nha
        "đường Ngô Quyền",  # a street
        "tinh bac giang cu",
        "asdf qwerty",
        "",
    ],
)
def test_no_ward(loc: Localities, text: str) -> None:
    assert loc.find_ward(text) is None


@pytest.mark.parametrize(
    ("text", "ward"),
    [("toi o bien dong", "Biển Động"), ("tien nha cu", "Lục Nam"), ("Biển Động", "Biển Động")],
)
def test_unprefixed_name_needs_accent_or_place_cue(loc: Localities, text: str, ward: str) -> None:
    m = loc.find_ward(text)
    assert m is not None and m.ward.name == ward


def test_curated_questions_mention_no_ward(loc: Localities) -> None:
    """Procedure questions name no place, so any match here is a false positive."""
    texts = [t for p in load_curated() for t in (*p.overlay.questions_vi, *p.overlay.aliases, p.title)]
    assert len(texts) > 500
    hits = {t: m.ward.name for t in texts if (m := loc.find_ward(t))}
    assert hits == {}


def test_ward_lookup_by_name(loc: Localities) -> None:
    assert loc.ward("phuong bac giang").name == "Bắc Giang"
    assert loc.ward("Xã Tam Đa").kind == "xã"
    assert loc.ward("Lệ Viễn") is None  # a former unit is not a current ward


@pytest.mark.catalog
def test_matches_wards_csv(loc: Localities) -> None:
    path = DATA / "wards-2025.csv"
    if not DATA.is_dir():
        pytest.skip(f"real data folder {DATA} absent")
    with path.open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["Tỉnh"] == "Bắc Ninh"]
    by_name = {w.name: w for w in loc.wards}
    assert len(rows) == len(by_name) == 99
    for r in rows:
        src = r["Phường, xã trước sáp nhập"].strip()
        expected = [] if src == "Không sáp nhập" else [s.strip() for s in src.split(",")]
        assert list(by_name[r["Phường, xã mới"]].former_units) == expected


def test_every_former_unit_is_found(loc: Localities) -> None:
    """Each former unit, typed with its prefix, maps to the ward it merged into."""
    for w in loc.wards:
        for unit in w.former_units:
            typed = unit.split(" (")[0]
            m = loc.find_ward(f"tôi ở {typed}")
            assert m is not None, unit
            assert m.ward == w or w in m.alternatives, (unit, m.ward.name)
            m2 = loc.find_ward(fold(f"toi o {typed} cu"))
            assert m2 is not None and (m2.ward == w or w in m2.alternatives), unit


@pytest.mark.parametrize("text", ["công ty có ký túc xá cho công nhân khai báo tạm trú", "ở ký túc xá Chờ được không"])
def test_a_word_that_only_folds_like_xa_is_no_prefix(loc: Localities, text: str) -> None:
    """ "xá" (in "ký túc xá") folds like "xã"; typed with its accent it names no commune."""
    assert loc.find_ward(text) is None


def test_an_unaccented_prefix_still_counts(loc: Localities) -> None:
    match = loc.find_ward("toi o xa Cho cu")
    assert match is not None and match.unit == "Thị trấn Chờ"
