"""Run time: load the embedding model on CPU, and the query model in the dtype the CPU runs best.

Nothing here writes the process environment: a local folder is loaded with
``local_files_only=True``, and the services' environment (scripts/defaults.sh, the Makefile)
already keeps every library off the model hubs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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


def query_dtype(setting: str | None = None) -> str:
    """ "float32" or "bfloat16" for `setting` ("auto", "float32", "bfloat16"; default
    $KNOWLEDGE_QUERY_DTYPE): "auto" is bfloat16 where the CPU computes it natively (AVX512-BF16
    or AMX: 26 -> 19 ms per query here, same dev-set figures), else float32."""
    setting = get_settings().query_dtype if setting is None else setting
    if setting in ("float32", "bfloat16"):
        return setting
    if setting != "auto":
        raise ValueError(f"KNOWLEDGE_QUERY_DTYPE must be auto, float32 or bfloat16, not {setting!r}")
    import torch

    native = torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported()
    return "bfloat16" if native else "float32"


def query_embedder(model_name: str | None = None) -> SentenceTransformer:
    """The model for query embedding, in `query_dtype()` (the index's passages stay float32)."""
    from knowledge.index import get_embedder

    model = get_embedder(model_name)
    return bfloat16_layers(model) if query_dtype() == "bfloat16" else model


def bfloat16_layers(model: SentenceTransformer) -> SentenceTransformer:
    """Convert (in place) the transformer layers to bfloat16, for query embedding on CPUs that
    compute it natively: half the weight traffic, ~30% faster, vectors within rounding.
    The token-embedding table (250k rows) stays float32 and memory-mapped from the model
    file, so only the rows a query uses are ever read; its output is cast on the way in."""
    import torch

    transformer = getattr(model[0], "auto_model", None)
    embeddings = getattr(transformer, "embeddings", None)
    if transformer is None or embeddings is None:  # another architecture: convert everything
        return model.to(torch.bfloat16)
    for _name, child in transformer.named_children():
        if child is not embeddings:
            child.to(torch.bfloat16)
    embeddings.register_forward_hook(lambda _module, _args, out: out.to(torch.bfloat16))
    return model
