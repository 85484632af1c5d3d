"""Run time: load the embedding model on CPU (index builds), and the query model (searches).

Nothing here writes the process environment: a local folder is loaded with
``local_files_only=True``, and the services' environment (scripts/defaults.sh, the Makefile)
already keeps every library off the model hubs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

import numpy as np

from knowledge.embedding import DEFAULT_MODEL_DIR
from knowledge.settings import get_settings

if TYPE_CHECKING:  # heavy imports stay lazy: importing this module must be cheap
    from sentence_transformers import SentenceTransformer


def resolve_model_name(name_or_path: str | None = None) -> str:
    """The argument, else $EMBEDDING_MODEL, else the materialised default folder."""
    return name_or_path or get_settings().embedding_model or str(DEFAULT_MODEL_DIR)


def load_embedder(name_or_path: str | None = None) -> SentenceTransformer:
    """SentenceTransformer on CPU in float32 (see `resolve_model_name`). A local folder is
    loaded strictly from its files; any other name goes to the hub as usual (the user asked
    for it)."""
    name = resolve_model_name(name_or_path)
    local = Path(name).expanduser().is_dir()
    if not local and name == str(DEFAULT_MODEL_DIR):
        raise FileNotFoundError(f"{name} is missing: run `python -m knowledge.embedding --out {name}` first")
    import torch
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(name, device="cpu", local_files_only=local, model_kwargs={"dtype": torch.float32})


class QueryEncoder(Protocol):
    """What the search needs of a query model: unit float32 vectors, one row per text."""

    runtime: str

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray: ...


class TorchQueryEncoder:
    """A sentence-transformers model as a `QueryEncoder` (a model without an ONNX export)."""

    runtime = "torch"

    def __init__(self, model: SentenceTransformer) -> None:
        self.model = model

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        vectors = self.model.encode(
            texts, prompt_name="query", normalize_embeddings=True, batch_size=batch_size, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


def query_encoder(model_name: str | None = None, threads: int | None = None) -> QueryEncoder:
    """The query model: ONNX Runtime over the folder's exported encoder when it has one (see
    `knowledge.embedding.onnx`), else the sentence-transformers model in torch. `threads`:
    default $KNOWLEDGE_QUERY_THREADS, else $OMP_NUM_THREADS (0: one per core)."""
    from knowledge.embedding.onnx import OnnxQueryEncoder, has_encoder

    name = resolve_model_name(model_name)
    threads = get_settings().query_threads if threads is None else threads
    if has_encoder(name):
        return OnnxQueryEncoder(name, threads)
    import torch

    from knowledge.index import get_embedder

    if threads:
        torch.set_num_threads(threads)
    return TorchQueryEncoder(get_embedder(name))


def as_query_encoder(model: SentenceTransformer | QueryEncoder) -> QueryEncoder:
    """A sentence-transformers model wrapped; a `QueryEncoder` as it is (checked without
    importing sentence-transformers, which would load torch into a search process)."""
    if hasattr(model, "embed") and hasattr(model, "runtime"):
        return cast(QueryEncoder, model)
    return TorchQueryEncoder(cast("SentenceTransformer", model))
