"""The query encoder in ONNX Runtime: the same e5 network, exported once at install time.

For one short query on our 2-core CPUs, ONNX Runtime runs the network in less than half of
torch's time (forward p95 ~16 ms against ~45 ms, vectors equal to 1e-6), and the action
server no longer imports torch at all. The export leaves the 250k-row token table out of the
graph: it is read, memory-mapped, from the folder's model.safetensors, so only the rows a
query uses are ever loaded.

install time  `export_encoder(folder)`: torch exports the transformer (eager attention, so that
              ONNX Runtime's optimizer fuses it) to ``onnx/encoder.onnx``
run time      `OnnxQueryEncoder(folder)`: tokenizer.json + the token table + that graph
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import onnxruntime

ENCODER_FILE = Path("onnx") / "encoder.onnx"
WORD_EMBEDDINGS = "embeddings.word_embeddings.weight"
QUERY_PROMPT_CONFIG = "config_sentence_transformers.json"


def has_encoder(folder: Path | str) -> bool:
    return (Path(folder) / ENCODER_FILE).is_file()


# --------------------------------------------------------------------------- install time


def export_encoder(folder: Path) -> Path:
    """Write ``folder/onnx/encoder.onnx``: token vectors + attention mask in, the last hidden
    state out (pooling stays in numpy, as sentence-transformers' Pooling module does it)."""
    import torch
    from onnxruntime.transformers import optimizer
    from transformers import BertModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # untyped library
    bert = BertModel.from_pretrained(str(folder), dtype=torch.float32, attn_implementation="eager")
    bert.eval()  # type: ignore[no-untyped-call]  # untyped library
    config = bert.config

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden: torch.Tensor = self.bert(
                inputs_embeds=inputs_embeds, attention_mask=attention_mask
            ).last_hidden_state
            return hidden

    target = folder / ENCODER_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    raw = target.with_suffix(".raw.onnx")
    axes = {0: "batch", 1: "tokens"}
    example = (torch.zeros(1, 8, config.hidden_size), torch.ones(1, 8, dtype=torch.int64))
    with warnings.catch_warnings():  # the tracer's notes on shape checks it records as constants
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Encoder().eval(),
            example,
            str(raw),
            input_names=["inputs_embeds", "attention_mask"],
            output_names=["last_hidden_state"],
            dynamic_axes={"inputs_embeds": axes, "attention_mask": axes, "last_hidden_state": axes},
            opset_version=17,
            dynamo=False,  # the TorchScript exporter: no onnxscript needed, and its graph fuses well
        )
    fused = optimizer.optimize_model(
        str(raw), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size
    )
    fused.save_model_to_file(str(target))
    raw.unlink()
    return target


# --------------------------------------------------------------------------- run time


def word_embeddings(model_file: Path) -> np.ndarray:
    """The token table of a safetensors file as a read-only memory map (the format: a u64
    header length, a JSON header with each tensor's dtype, shape and byte offsets, the data)."""
    with open(model_file, "rb") as fh:
        header_len = int.from_bytes(fh.read(8), "little")
        header = json.loads(fh.read(header_len))
    entry = header[WORD_EMBEDDINGS]
    if entry["dtype"] != "F32":
        raise ValueError(f"{model_file}: {WORD_EMBEDDINGS} is {entry['dtype']}, float32 expected")
    start = 8 + header_len + entry["data_offsets"][0]
    return np.memmap(model_file, dtype=np.float32, mode="r", offset=start, shape=tuple(entry["shape"]))


class OnnxQueryEncoder:
    """e5 query vectors (mean pooling, unit length) from the exported encoder.

    `threads`: ONNX Runtime's intra-op threads (0: one per core; unlike torch, it does not
    read OMP_NUM_THREADS, so `knowledge.settings` does)."""

    runtime = "onnxruntime"

    def __init__(self, folder: Path | str, threads: int = 0) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = Path(folder)
        prompts = json.loads((folder / QUERY_PROMPT_CONFIG).read_text(encoding="utf-8")).get("prompts", {})
        self.prompt: str = prompts.get("query", "")
        max_tokens = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))["max_seq_length"]
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()
        self.words = word_embeddings(folder / "model.safetensors")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # warnings about unused initialisers are noise here
        # no busy-waiting after a run: the same latency for ~25% less CPU per search (measured),
        # left to the lexical scoring and to Rasa on the same cores
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session: onnxruntime.InferenceSession = ort.InferenceSession(
            str(folder / ENCODER_FILE), options, providers=["CPUExecutionProvider"]
        )

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Unit vectors, one float32 row per text (batches of similar lengths, padded)."""
        ids = [e.ids for e in self.tokenizer.encode_batch([self.prompt + t for t in texts])]
        out = np.zeros((len(texts), self.words.shape[1]), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            out[rows] = self._mean_pooled([ids[i] for i in rows])
        unit: np.ndarray = out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return unit

    def _mean_pooled(self, batch: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in batch)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        tokens = np.zeros((len(batch), width), dtype=np.int64)
        for row, ids in enumerate(batch):
            mask[row, : len(ids)] = 1
            tokens[row, : len(ids)] = ids
        vectors = np.asarray(self.words[tokens], dtype=np.float32)
        (hidden,) = self.session.run(None, {"inputs_embeds": vectors, "attention_mask": mask})
        weights = mask[..., None].astype(np.float32)
        pooled: np.ndarray = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled
