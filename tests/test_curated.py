"""Curated procedures: files load, carry a usable overlay, and agree with the real catalog."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from knowledge.curated import PROCEDURES_DIR, CuratedKnowledgeError, load_curated
from knowledge.model import Procedure
from knowledge.text import fold

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CATALOG = DATA / "dvc-procedures-2026.jsonl.gz"

# One anchor per area the assistant must cover; losing one is a regression.
MUST_HAVE = {
    "1.001193": "birth registration",
    "1.000656": "death registration",
    "1.000894": "marriage registration",
    "1.004873": "marital status certificate",
    "2.000635": "civil-status extract copies",
    "2.000815": "certified copies",
    "2.000884": "signature certification",
    "3.000333": "judicial record",
    "1.004222": "permanent residence",
    "1.004194": "temporary residence",
    "1.014063": "ID card exchange",
    "1.001456": "passport",
    "1.013076": "vehicle ownership transfer",
    "3.000347": "driving licence exchange",
    "1.013978": "first land certificate",
    "1.013831": "land transfer / inheritance / gift",
    "1.011441": "mortgage registration",
    "1.013225": "house building permit",
    "1.001612": "household business",
    "1.001939": "health insurance card",
}

PROCEDURES = load_curated()
IDS = [p.code for p in PROCEDURES]


def test_enough_procedures_and_one_file_each() -> None:
    files = sorted(PROCEDURES_DIR.glob("*.yaml"))
    assert len(PROCEDURES) >= 200
    assert len(files) == len(PROCEDURES) == len(set(IDS))
    assert {f.stem for f in files} == set(IDS)


def test_must_have_areas_present() -> None:
    missing = {c: what for c, what in MUST_HAVE.items() if c not in IDS}
    assert missing == {}


@pytest.mark.parametrize("proc", PROCEDURES, ids=IDS)
def test_procedure_is_usable(proc: Procedure) -> None:
    ov = proc.overlay
    assert proc.channels and proc.documents and proc.steps and proc.levels
    assert len(ov.questions_vi) >= 3 and len(ov.questions_en) >= 2
    assert ov.title_en and ov.summary_vi and ov.summary_en and ov.aliases
    assert proc.source_url.startswith("https://dichvucong.gov.vn/")
    # Residents often type without diacritics: keep at least one such question.
    assert any(fold(q) == q.lower() for q in ov.questions_vi), "no unaccented question"
    for ch in proc.channels:
        assert ch.fee_vnd is None or ch.fee_vnd >= 0
        assert ch.fee, f"{ch.kind}: fee text is empty"


def test_questions_are_not_shared_between_procedures() -> None:
    seen: dict[str, str] = {}
    for p in PROCEDURES:
        for q in p.overlay.questions_vi:
            key = fold(q).rstrip("?")
            assert key not in seen, f"{q!r} in {p.code} and {seen[key]}"
            seen[key] = p.code


# --- loader errors --------------------------------------------------------------------------


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    _write(tmp_path, "9.999999.yaml", "code: '9.999999'\ntitle: [unclosed\n")
    with pytest.raises(CuratedKnowledgeError, match=r"9\.999999\.yaml.*invalid YAML"):
        load_curated(tmp_path)


def test_schema_error_wraps_validation_error(tmp_path: Path) -> None:
    _write(tmp_path, "9.999998.yaml", "code: '9.999998'\ntitle: X\nchannels:\n  - kind: fax\n")
    with pytest.raises(CuratedKnowledgeError, match=r"9\.999998\.yaml") as err:
        load_curated(tmp_path)
    assert isinstance(err.value.__cause__, ValidationError)
    assert err.value.path.name == "9.999998.yaml"


def test_unquoted_numeric_code_is_rejected(tmp_path: Path) -> None:
    _write(tmp_path, "1.5.yaml", "code: 1.5\ntitle: X\n")  # YAML reads 1.5 as a float
    with pytest.raises(CuratedKnowledgeError, match=r"1\.5\.yaml"):
        load_curated(tmp_path)


def test_code_must_match_file_name(tmp_path: Path) -> None:
    _write(tmp_path, "1.000001.yaml", "code: '1.000002'\ntitle: X\n")
    with pytest.raises(CuratedKnowledgeError, match="differs from the file name"):
        load_curated(tmp_path)


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(CuratedKnowledgeError):
        load_curated(tmp_path / "nope")


def test_valid_file_loads(tmp_path: Path) -> None:
    _write(tmp_path, "9.000001.yaml", "code: '9.000001'\ntitle: Thủ tục thử\nlevels: [commune]\n")
    (proc,) = load_curated(tmp_path)
    assert proc.title == "Thủ tục thử" and proc.is_commune_level


# --- agreement with the real catalog (own minimal reader; no dependency on the importer) -------

_LEVELS = {"Cấp bộ": "ministry", "Cấp tỉnh": "province", "Cấp xã": "commune"}
_KINDS = {"Trực tuyến": "online", "Dịch vụ bưu chính": "post", "Trực tiếp": "in_person"}
# A channel row starts with its name followed by a time (digits) or "no information".
_ROW = re.compile(r"(Trực tuyến|Dịch vụ bưu chính|Trực tiếp)(?=\d|Không có thông tin)")
_TIME = re.compile(r"Không có thông tin|\d+(?:[.,]\d+)?(?:\s*(?:Ngày làm việc|Ngày|Giờ|Tháng|Năm|Phút))?")
_AMOUNT = re.compile(r"([\d.,]+)\s*(?:Việt Nam Đồng|VNĐ|Đồng|đồng)")


def _ws(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _real_fee(segment: str) -> int | None:
    """0 for "Miễn phí", the amount for "50,000 Việt Nam Đồng", None otherwise (no info, USD...)."""
    if segment.startswith("Miễn phí"):
        return 0
    m = _AMOUNT.match(segment)
    return int(re.sub(r"[.,]", "", m.group(1))) if m else None


def _real_channels(text: str) -> dict[str, list[int | None]]:
    """kind -> the fee of each published row of that kind."""
    rows: dict[str, list[int | None]] = {}
    matches = list(_ROW.finditer(text))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        segment = text[m.end() : end]
        time = _TIME.match(segment)
        rows.setdefault(_KINDS[m.group(1)], []).append(_real_fee(segment[time.end() if time else 0 :]))
    return rows


@pytest.fixture(scope="module")
def catalog() -> dict[str, dict]:
    if not CATALOG.is_file():
        pytest.skip(f"real catalog {CATALOG} absent (needs ../shared/data)")
    wanted = set(IDS)
    records: dict[str, dict] = {}
    with gzip.open(CATALOG, "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if rec["ma_thu_tuc"] in wanted:
                records[rec["ma_thu_tuc"]] = rec
    return records


def test_parser_reads_flattened_channel_table() -> None:
    text = "Hình thức nộpThời gianPhí, lệ phíMô tảTrực tuyến7 Ngày làm việc10,000 Việt Nam Đồng(x)Trực tiếp1Miễn phíDịch vụ bưu chínhKhông có thông tin10 USD"
    assert _real_channels(text) == {"online": [10000], "in_person": [0], "post": [None]}


@pytest.mark.catalog
@pytest.mark.parametrize("proc", PROCEDURES, ids=IDS)
def test_facts_agree_with_catalog(proc: Procedure, catalog: dict[str, dict]) -> None:
    rec = catalog.get(proc.code)
    assert rec is not None, f"{proc.code} not in the catalog"
    assert proc.title == _ws(rec["ten_thu_tuc"])
    real_levels = {_LEVELS[x.strip()] for x in rec["cap_thuc_hien"].split(",") if x.strip() in _LEVELS}
    assert set(proc.levels) == real_levels
    assert proc.source_url == rec["detail_url"]
    real = _real_channels(rec["cach_thuc_thuc_hien"])
    assert {c.kind for c in proc.channels} == set(real)
    for ch in proc.channels:
        fees = real[ch.kind]
        if ch.fee_vnd is None:
            # "not a single amount": only allowed where the catalog itself states no single VND amount
            assert any(f in (None, 0) for f in fees), f"{ch.kind}: catalog says {fees}"
        else:
            assert ch.fee_vnd in fees, f"{ch.kind}: {ch.fee_vnd} vs catalog {fees}"


# Institution and form names are shared vocabulary, not copied prose: collapse them first.
_NAMES = re.compile(
    r"trung tam phuc vu hanh chinh cong|van phong dang ky dat dai|chi nhanh van phong dang ky dat dai|"
    r"cong dich vu cong( quoc gia)?|uy ban nhan dan( cap)? (xa|tinh)|giay khai dang ky xe|giay chung nhan"
)


def _shingles(text: str, n: int = 10) -> set[str]:
    words = _NAMES.sub("#", fold(text).replace(",", " ").replace(".", " ")).split()
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


@pytest.mark.catalog
@pytest.mark.parametrize("proc", PROCEDURES, ids=IDS)
def test_overlay_is_our_own_wording(proc: Procedure, catalog: dict[str, dict]) -> None:
    """No 10-word run of the summary appears in the portal page."""
    page = _shingles(catalog[proc.code]["raw_text"])
    copied = _shingles(proc.overlay.summary_vi) & page
    assert not copied, f"copied from the portal: {sorted(copied)[:2]}"
