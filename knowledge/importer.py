"""Import the national-portal export (dichvucong.gov.vn crawl, JSON lines) into `Procedure` records.

The crawler flattened the portal's HTML tables without separators, so the channel, document and
legal-basis tables arrive as one glued string each, e.g.
``"Hình thức nộpThời gianPhí, lệ phíMô tảTrực tuyến5 Ngày làm việcMiễn phíDịch vụ bưu chính…"``.
We split them back with the table's known vocabulary: channel names followed by a time limit
and a fee value, copy markers such as ``"1 bản chính,1 bản sao"``, template file extensions and
legal-document numbers such as ``"85/2019/TT-BTC"``.

Nothing here raises on a bad record: every line becomes either a `Procedure` or a
`SkippedRecord` carrying the line number and the reason.

One module of ~570 lines on purpose: one input format, whose splitters share the table
vocabulary and are read (and fixed) together.
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from knowledge.model import Channel, ChannelKind, Document, Level, Procedure

# Vietnamese letters by case: plain ranges such as à-ỹ interleave cases in Unicode, so spell them out.
_VI = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệfghiìíỉĩịjklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvwxyỳýỷỹỵz"
LOWER = f"[{_VI}]"
UPPER = f"[{_VI.upper()}]"

# Text fields of the export that we read; anything else in a record is ignored.
TEXT_FIELDS = (
    "ma_thu_tuc",
    "ten_thu_tuc",
    "detail_url",
    "cap_thuc_hien",
    "linh_vuc",
    "doi_tuong_thuc_hien",
    "co_quan_co_tham_quyen",
    "co_quan_thuc_hien",
    "dia_chi_tiep_nhan",
    "trinh_tu_thuc_hien",
    "cach_thuc_thuc_hien",
    "thanh_phan_ho_so",
    "can_cu_phap_ly",
    "yeu_cau_dieu_kien",
    "ket_qua_xu_ly",
    "raw_text",
)


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class SkippedRecord:
    """A line we could not turn into a procedure."""

    line: int  # 1-based line number in the export
    reason: str  # short, groupable: "bad JSON", "missing code", "wrong type", ...
    detail: str = ""  # what exactly (field name, parser message); never record content


@dataclass
class ImportResult:
    procedures: list[Procedure] = field(default_factory=list)
    skipped: list[SkippedRecord] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return len(self.procedures)

    @property
    def total(self) -> int:
        return len(self.procedures) + len(self.skipped)

    def reasons(self) -> Counter[str]:
        return Counter(s.reason for s in self.skipped)

    def summary(self) -> str:
        lines = [f"imported {self.imported}, skipped {len(self.skipped)} of {self.total} records"]
        for reason, count in self.reasons().most_common():
            where = [s.line for s in self.skipped if s.reason == reason]
            shown = ", ".join(map(str, where[:10])) + (", …" if len(where) > 10 else "")
            lines.append(f"  {reason}: {count} (lines {shown})")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Reading


def import_export(path: Path | str) -> ImportResult:
    result = ImportResult()
    for item in iter_export(Path(path)):
        if isinstance(item, Procedure):
            result.procedures.append(item)
        else:
            result.skipped.append(item)
    return result


def iter_export(path: Path | str) -> Iterator[Procedure | SkippedRecord]:
    """Yield one `Procedure` or `SkippedRecord` per non-blank line of a `.jsonl` or `.jsonl.gz` file.

    A missing file raises; a file that breaks off midway ends with an "unreadable file" record.
    """
    seen: set[str] = set()
    line_no = 0
    with _open(Path(path)) as stream:
        try:
            for line_no, raw in enumerate(stream, start=1):
                if raw.strip():
                    yield _record(raw, line_no, seen)
        except (OSError, EOFError) as exc:  # truncated or corrupt gzip (BadGzipFile is an OSError)
            yield SkippedRecord(line_no + 1, "unreadable file", type(exc).__name__)


def _open(path: Path) -> IO[bytes]:
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"  # trust the magic bytes, not the suffix
    return gzip.open(path, "rb") if gzipped else path.open("rb")  # type: ignore[return-value]  # GzipFile is an IO[bytes]


def _record(raw: bytes, line_no: int, seen: set[str]) -> Procedure | SkippedRecord:
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return SkippedRecord(line_no, "bad encoding")
    except json.JSONDecodeError as exc:
        return SkippedRecord(line_no, "bad JSON", exc.msg)
    if not isinstance(data, dict):
        return SkippedRecord(line_no, "not an object", type(data).__name__)
    problem = _check(data)
    if problem:
        return SkippedRecord(line_no, *problem)
    code = data["ma_thu_tuc"].strip()
    if code in seen:
        return SkippedRecord(line_no, "duplicate code", code)
    try:
        procedure = build_procedure(data)
    except ValidationError as exc:
        return SkippedRecord(line_no, "invalid record", f"{code}: {exc.error_count()} validation error(s)")
    except Exception as exc:  # noqa: BLE001 - a parser bug must cost one record, not the import
        return SkippedRecord(line_no, "parse error", f"{code}: {type(exc).__name__}: {exc}")
    seen.add(code)
    return procedure


def _check(data: dict[str, Any]) -> tuple[str, str] | None:
    """Reason to skip a record before parsing, or None. Null text fields count as empty."""
    for name in TEXT_FIELDS:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            return "wrong type", f"{name}: {type(value).__name__}"
    if not (data.get("ma_thu_tuc") or "").strip():
        return "missing code", ""
    if not (data.get("ten_thu_tuc") or "").strip():
        return "missing title", data["ma_thu_tuc"].strip()
    return None


# ---------------------------------------------------------------------------------------------
# One record


def build_procedure(data: dict[str, Any]) -> Procedure:
    raw_page = data.get("raw_text") or ""
    data = _realign({name: normalize(data.get(name) or "") for name in TEXT_FIELDS if name != "raw_text"}, raw_page)

    def text(name: str) -> str:
        return clean(data[name])

    return Procedure(
        code=text("ma_thu_tuc"),
        title=text("ten_thu_tuc"),
        levels=parse_levels(text("cap_thuc_hien")),
        field=text("linh_vuc"),
        applicants=text("doi_tuong_thuc_hien"),
        agency=text("co_quan_co_tham_quyen") or text("co_quan_thuc_hien"),
        submit_address=text("dia_chi_tiep_nhan"),
        channels=parse_channels(data["cach_thuc_thuc_hien"]),
        documents=parse_documents(data["thanh_phan_ho_so"]),
        steps=parse_steps(data["trinh_tu_thuc_hien"]),
        conditions=clean(_PAGE_NOISE.sub("", data["yeu_cau_dieu_kien"]), keep_lines=True),
        result=parse_result(data["ket_qua_xu_ly"]),
        legal_basis=parse_legal_basis(data["can_cu_phap_ly"]),
        source_url=text("detail_url"),
    )


def _realign(data: dict[str, str], raw_page: str) -> dict[str, str]:
    """Re-cut steps and documents from the page text when the crawler split them in the wrong place.

    Some pages say "(Thành phần hồ sơ)" inside their steps; the crawler took that for the next
    section's title, so the steps stop there and the documents field holds the rest of the steps.
    """
    if _DOC_HEADER in data["thanh_phan_ho_so"] or _DOC_HEADER not in raw_page:
        return data
    raw = normalize(raw_page)
    steps_at, channels_at = raw.find("Trình Tự Thực Hiện"), raw.find("Cách Thức Thực Hiện")
    docs_at = raw.find("Thành phần hồ sơ", max(channels_at, 0))
    legal_at = raw.find("Căn cứ pháp lý", max(docs_at, 0))
    if min(steps_at, channels_at, docs_at, legal_at) < 0:
        return data
    return data | {
        "trinh_tu_thuc_hien": raw[steps_at + len("Trình Tự Thực Hiện") : channels_at],
        "thanh_phan_ho_so": raw[docs_at + len("Thành phần hồ sơ") : legal_at],
    }


# The result table's "Từ khóa … Mô tả …" cells sometimes trail into the conditions field.
_PAGE_NOISE = re.compile(r"\s*Từ khóa.*", re.DOTALL)
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")


def normalize(value: str) -> str:
    """NFC (the regexes below spell letters precomposed) without zero-width marks."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", value))


_EMPTY_VALUES = re.compile(r"(?i)(không có thông tin|không|không có|không quy định|chưa có)\.?")


def clean(value: str, keep_lines: bool = False) -> str:
    """Collapse whitespace; "Không có thông tin" / "Không" alone mean no information."""
    if keep_lines:
        lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in value.splitlines())
        value = "\n".join(line for line in lines if line)
    else:
        value = re.sub(r"\s+", " ", value).strip()
    return "" if _EMPTY_VALUES.fullmatch(value) else value


# ---------------------------------------------------------------------------------------------
# Levels

_LEVELS: dict[str, Level] = {"cấp bộ": "ministry", "cấp tỉnh": "province", "cấp xã": "commune"}


def parse_levels(value: str) -> list[Level]:
    """ "Cấp bộ, Cấp tỉnh" → ["ministry", "province"]; "Cơ quan khác" has no level of its own."""
    levels: list[Level] = []
    for part in value.split(","):
        level = _LEVELS.get(part.strip().lower())
        if level and level not in levels:
            levels.append(level)
    return levels


# ---------------------------------------------------------------------------------------------
# Channels: "Hình thức nộpThời gianPhí, lệ phíMô tả" then per row: name, time, fee[(fee note)], description

_CHANNEL_HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"
_KINDS: dict[str, ChannelKind] = {"Trực tuyến": "online", "Dịch vụ bưu chính": "post", "Trực tiếp": "in_person"}
_UNITS = r"Ngày làm việc|ngày làm việc|Ngày|ngày|Giờ|giờ|Tháng|tháng"
_CURRENCY = r"Việt Nam Đồng|VNĐ|VND|USD|Đồng|đồng"
# The number is lazy so that a unit-less time glued to an amount ("1" + "100,000 VNĐ") splits at
# the first digit; an amount never starts with 0, which settles "10" + "50,000".
_TIME = (
    rf"(?:(?P<num>\d+?(?:[.,]\d+)?)\s*(?P<unit>{_UNITS})?"
    r"|(?P<ttext>Không có thông tin|Không phải trả kết quả[^()]{0,60}?|Không quy định|Không"
    r"|[^\s:(][^()]{0,200}?\.)\s*)"
)
_FEE = rf"(?P<fee>Miễn phí|Không có thông tin|Không|[1-9][\d.,]*\s*(?:{_CURRENCY})|0\s*(?:{_CURRENCY}))"
_ROW = re.compile(rf"(?P<kind>{'|'.join(_KINDS)}){_TIME}{_FEE}")
# A note that keeps "Miễn phí" free: "Không", "Miễn …", "Chưa quy định", "Phí : 0 Đồng", a stray "(a)".
_NO_FEE_NOTE = re.compile(r"(?i)\(*\s*-?\s*(không|miễn|chưa quy định|(lệ )?phí\s*:\s*0\s*đồng|a\)?$)")
_MONEY = re.compile(rf"(\d{{1,3}}(?:[.,]\d{{3}})+|\d+)\s*(?:{_CURRENCY}|vnđ|đ\b)|(\d{{1,3}}(?:[.,]\d{{3}})+)\s*/")
HOURS_PER_DAY = 8  # a working day at a Vietnamese one-stop office
DAYS_PER_MONTH = 30


def parse_channels(value: str) -> list[Channel]:
    text = value[len(_CHANNEL_HEADER) :] if value.startswith(_CHANNEL_HEADER) else value
    rows = list(_ROW.finditer(text))
    channels = []
    for i, row in enumerate(rows):
        tail = text[row.end() : rows[i + 1].start() if i + 1 < len(rows) else len(text)]
        note, description = _split_paren(tail)
        channels.append(_channel(row, note, description))
    return channels


def _split_paren(tail: str) -> tuple[str, str]:
    """Cut a leading balanced "(…)" (the fee's explanation) from the row's description."""
    if not tail.startswith("("):
        return "", tail
    depth = 0
    for i, char in enumerate(tail):
        depth += (char == "(") - (char == ")")
        if depth == 0:
            return tail[1:i], tail[i + 1 :]
    return tail[1:], ""  # unbalanced: the whole rest is the note


def _channel(row: re.Match[str], note: str, description: str) -> Channel:
    time_limit, time_days = _time(row)
    fee_value = row["fee"].strip()
    note = clean(note.strip())
    fee = " ".join(part for part in (clean(fee_value), f"({note})" if note else "") if part)
    return Channel(
        kind=_KINDS[row["kind"]],
        time_limit=time_limit,
        time_days=time_days,
        fee=fee,
        fee_vnd=fee_amount(fee_value, note),
        note=clean(description),
    )


def _time(row: re.Match[str]) -> tuple[str, float | None]:
    if row["num"] is None:
        return clean(row["ttext"] or ""), None
    number = float(row["num"].replace(",", "."))
    unit = (row["unit"] or "").lower()
    written = f"{row['num']} {row['unit']}" if unit else row["num"]
    if unit == "giờ":
        return written, round(number / HOURS_PER_DAY, 3)
    if unit == "tháng":
        return written, number * DAYS_PER_MONTH
    return written, number  # "Ngày làm việc", "Ngày", or a bare number (the portal drops the unit "ngày")


def fee_amount(value: str, note: str = "") -> int | None:
    """0 when free, an amount in đồng when the fee is one clear sum, else None.

    `value` is the fee cell ("Miễn phí", "50,000 Việt Nam Đồng", ...); `note` its explanation.
    """
    value = value.strip()
    if value in ("Miễn phí", "Không"):
        if not note or _NO_FEE_NOTE.match(note) and not _note_amounts(note):
            return 0
        return None  # "free" but the note sets or defers a fee (e.g. to the provincial council)
    match = re.fullmatch(rf"([\d.,]+)\s*({_CURRENCY})", value)
    if not match or match[2] == "USD":
        return None
    amount = int(re.sub(r"[.,]", "", match[1]))
    in_note = _note_amounts(note)
    if amount < 1000:  # the portal sometimes writes thousands ("20 VNĐ" with note "20.000 vnđ")
        return in_note.pop() if len(in_note) == 1 and in_note == {amount * 1000} else None
    return amount if in_note <= {amount} else None


def _note_amounts(note: str) -> set[int]:
    amounts = set()
    for match in _MONEY.finditer(note):
        digits = re.sub(r"[.,]", "", match[1] or match[2])
        if digits and int(digits) >= 1000:
            amounts.add(int(digits))
    return amounts


# ---------------------------------------------------------------------------------------------
# Documents: "[heading]Tên giấy tờMẫu đơn, tờ khaiSố lượng" then rows: name[template file]copies

_DOC_HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
# One digit (optionally zero-padded) glued to the row's name: "…năm 20251 bản chính" is 2025 + 1.
# A count after a space or "(" and followed by a space or punctuation is prose inside the name
# ("Tờ khai: 02 bản chính. Tại ô…"), not the copies cell.
_COUNT = r"(?<![( ])(?<![( ]0)(?:(?<!\d)0)?\d"
_COPIES = re.compile(
    rf"(?P<orig>{_COUNT}) bản chính(?:\s*,\s*(?P<copy>\d+) bản sao)?+(?![\s).,;:])"
    rf"|(?P<copy_only>{_COUNT}) bản sao(?![\s).,;:])"
)
# A form file name ends with its extension (not one quoted in a sentence: 'định dạng đuôi “.doc”').
_TEMPLATE = re.compile(r"(?<![“\"‘])\.(?i:docx|doc|pdf|xlsx|xls|rtf|odt|zip|rar)")
_BULLET = re.compile(r"^(?:[-+•*\u2022\uf0b7\uf0a7\uf0d8\uf0fc]+|\(?\d{1,2}[.)](?!\d)|[a-zđ]\))\s*")


def parse_documents(value: str) -> list[Document]:
    if _DOC_HEADER not in value:
        return []
    parts = value.split(_DOC_HEADER)
    documents: list[Document] = []
    group = _group(parts[0])
    for index, part in enumerate(parts[1:], start=1):
        rows, rest = _document_rows(part)
        documents.extend(_document(name, copies, group) for name, copies in rows)
        if index == len(parts) - 1 and _clean_name(rest):
            documents.append(_document(rest, "", group))  # last row lost its copies cell
        group = _group(rest)
    return [doc for doc in documents if doc.name]


def _document_rows(part: str) -> tuple[list[tuple[str, str]], str]:
    rows, start = [], 0
    for match in _COPIES.finditer(part):
        rows.append((part[start : match.start()], _copies(match)))
        start = match.end()
    return rows, part[start:]


def _copies(match: re.Match[str]) -> str:
    counts = [
        (int(match["orig"] or 0), "bản chính"),
        (int(match["copy"] or match["copy_only"] or 0), "bản sao"),
    ]
    return ", ".join(f"{n} {kind}" for n, kind in counts if n)


def _group(heading: str) -> str:
    """ "* Giấy tờ phải xuất trình:" → "Giấy tờ phải xuất trình"; "--" (no heading) → ""."""
    return clean(heading).strip("-* ").rstrip(":").strip()


def _document(cell: str, copies: str, group: str) -> Document:
    name, templates = _split_templates(cell)
    name = _clean_name(name) or "; ".join(templates)
    return Document(name=name, copies=copies, template="; ".join(templates), group=group)


def _clean_name(name: str) -> str:
    name = _BULLET.sub("", clean(name)).strip()
    name = re.sub(r"[;.]\s*\d{1,2}\.+$", ".", name)  # the next item's number left behind: "…Anh);6."
    return name.rstrip(";,").strip()


def _split_templates(cell: str) -> tuple[str, list[str]]:
    """Split "…theo mẫuMẫu số 01.docxMẫu số 02.docx" into the name and its template file names."""
    ends = [m.end() for m in _TEMPLATE.finditer(cell)]
    start = _file_start(cell[: ends[0]]) if ends else None
    if start is None:
        return cell, []  # no file, or no telling where its name begins: leave the cell whole
    templates, previous = [], start
    for end in ends:
        templates.append(cell[previous:end].strip(" ;,"))
        previous = end
    name = cell[:start] + cell[ends[-1] :]
    return name, [t for t in templates if t]


# A file name starts at a glue point: after punctuation, or at a case change, with no space.
_GLUE = re.compile(
    rf"(?<=[;)\]:])(?=[^\s.;,)])|(?<=\.)(?=[^\s\d.;,)])"
    rf"|(?<={LOWER}{LOWER})(?=[{_VI.upper()}\d])|(?<=[A-ZĐ]{{2}})(?={UPPER}{LOWER})"
)
_GLUED_FILE_WORD = re.compile(r"(?<=\S)(?:[Mm]ẫu|[Mm]au|[Pp]hụ lục|văn bản|[Tt]ờ khai)")
_FILE_NAME_MAX = 160


def _file_start(text: str) -> int | None:
    floor = max(0, len(text) - _FILE_NAME_MAX)
    glues = [m.start() for m in _GLUE.finditer(text, floor) if m.start() < len(text) - 5]
    if glues:
        return glues[0]
    words = [m.start() for m in _GLUED_FILE_WORD.finditer(text, floor)]
    return words[-1] if words else None


# ---------------------------------------------------------------------------------------------
# Steps

_STEP = re.compile(r"(?im:^[\s\-–+*•]*bước\s*\d+)|(?<=[\s.;:])(?=Bước\s*\d+\s*[:.])")
_STEP_LINE = re.compile(r"^\s*(?:[-–•]\s|\d{1,2}[.)]\s)")


def parse_steps(value: str) -> list[str]:
    """Split on "Bước N"; else on lines starting "- " or "1."; else one step per paragraph."""
    lines = _joined_lines(value)
    if not lines:
        return []
    text = "\n".join(lines)
    starts = [m.start() for m in _STEP.finditer(text)]
    if starts:
        head = [text[: starts[0]]] if text[: starts[0]].strip() else []
        bounds = zip(starts, starts[1:] + [len(text)], strict=True)
        chunks = head + [text[a:b] for a, b in bounds]
    elif any(_STEP_LINE.match(line) for line in lines):
        chunks = _group_lines(lines)
    else:
        chunks = lines
    return [step for chunk in chunks if (step := _clean_step(chunk))]


def _joined_lines(value: str) -> list[str]:
    """Non-empty lines, re-joining a line the source wrapped mid-sentence (next starts lowercase)."""
    lines: list[str] = []
    for raw in value.splitlines():
        line = re.sub(r"[ \t\u00a0]+", " ", raw).strip()
        if not line:
            continue
        if lines and line[0].islower() and not lines[-1].endswith((".", ";", ":")):
            lines[-1] += " " + line
        else:
            lines.append(line)
    return lines


def _group_lines(lines: list[str]) -> list[str]:
    chunks: list[str] = []
    for line in lines:
        if _STEP_LINE.match(line) or not chunks:
            chunks.append(line)
        else:
            chunks[-1] += "\n" + line
    return chunks


def _clean_step(chunk: str) -> str:
    chunk = "\n".join(line.strip() for line in chunk.strip().splitlines() if line.strip())
    chunk = re.sub(r"^[-–•]\s*", "", chunk).strip()
    return "" if re.fullmatch(r"\w{0,3}[.):]?", chunk) else chunk  # a lone label such as "a)"


# ---------------------------------------------------------------------------------------------
# Result and legal basis

_RESULT_END = re.compile(r"Từ khóa|Chọn cơ quan thực hiện|Mô tả")
_RESULT_CODE = re.compile(r"Mã:\s*(?:[A-Za-z0-9_.\-]*\d|Chưa xác định(?: rõ)?)")


def parse_result(value: str) -> str:
    """ "Giấy khai sinhMã: KQ.G15.000031Từ khóa…" → "Giấy khai sinh"; several results joined by "; "."""
    head = _RESULT_END.split(value, maxsplit=1)[0]
    names = []
    for piece in _RESULT_CODE.split(head):
        name = clean(piece.split("Mã:")[0])
        if name and name not in names:
            names.append(name)
    return "; ".join(names)


_LEGAL_HEADER = "Tên văn bản pháp lýMã văn bản"
# Known issuers first, so "NĐ-CPsửa đổi" ends at "CP"; any capitals otherwise ("NĐ-C" is in the data).
_KNOWN_ISSUERS = (
    r"UBTVQH\d{2}|QH\d{2}|TTg|CP|NHNN|BTC|BTP|BCA|BXD|BNNMT|BNNPTNT|BTNMT|BGTVT|BKHĐT|BLĐTBXH|BKHCN"
    r"|BYT|BCT|BQP|BNV|BGDĐT|BTTTT|BHXH|UBND|HĐND|VPCP|TANDTC|VKSNDTC"
)
_ISSUER = rf"(?:{_KNOWN_ISSUERS}|(?!(?:{_KNOWN_ISSUERS})(?![A-ZĐ]))[A-ZĐ]{{1,12}}?)"
# A document number that ends a table row: glued to the next row's name (Capitalised, lowercase
# or an all-caps title word), or glued to its own name, or at the end of the text. Mentions inside
# a name sit between spaces or punctuation, so they do not end a row.
_LEGAL_CODE = re.compile(
    rf"(?:(?<=QH\d\d)|(?<!\d)(?<!QH))\d{{1,4}}(?:\.\d{{1,3}})?(?:/\d{{4}})?/(?:[A-ZĐ]{{1,12}}\d*-)*{_ISSUER}"
    rf"(?:(?P<glued>(?={UPPER}{LOWER}|(?!ngày){LOWER}|(?:LUẬT|QUY|NGHỊ|THÔNG|QUYẾT|SỬA|VỀ|HƯỚNG|BAN)\b"
    rf"|\d{{1,4}}(?:\.\d{{1,3}})?/\d{{4}}/|\s*$))|(?=\s+{UPPER}))"
)


def parse_legal_basis(value: str) -> list[str]:
    text = clean(value)
    if text.startswith(_LEGAL_HEADER):
        text = text[len(_LEGAL_HEADER) :]
    items: list[str] = []
    start = 0
    for match in _LEGAL_CODE.finditer(text):
        # Followed by a space, a number ends a row only when glued to the name before it.
        if match["glued"] is None and (match.start() == 0 or not _glue_before(text[match.start() - 1])):
            continue
        _add_legal(items, text[start : match.start()], match.group())
        start = match.end()
    _add_legal(items, text[start:], "")
    return items


# The code cell sometimes repeats the document type: "…tiền mặtNghị định 52/2024/NĐ-CP".
_CODE_CELL_PREFIX = re.compile(
    rf"(?<=[{_VI}.)])(?:Nghị định|Thông tư(?: liên tịch)?|Luật|Quyết định|Nghị quyết|NĐ|TT|QĐ)(?:\s+số)?\s*$"
)


_DOC_TYPE = re.compile(r"(?:Luật|Bộ luật|Nghị định|Thông tư(?: liên tịch)?|Quyết định|Nghị quyết|Pháp lệnh)(?: số)?")


def _glue_before(char: str) -> bool:
    return char.isalpha() or char in ".;:)"


def _add_legal(items: list[str], name: str, code: str) -> None:
    name = _CODE_CELL_PREFIX.sub("", name).strip(" ;,.")
    if not name and (not code or (items and code in items[-1])):
        return  # nothing, or the code cell repeating the number that ended the previous name
    if code and code in name:
        item = name
    elif name and code:
        item = f"{name} {code}" if _DOC_TYPE.fullmatch(name) else f"{name} ({code})"
    else:
        item = name or code
    if item not in items:
        items.append(item)
