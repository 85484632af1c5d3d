"""Build and load the retrieval index (one folder, swapped in atomically).

Layout of an index folder::

    manifest.json      model, catalog hash, counts, build time, decision model (thresholds)
    procedures.jsonl   the merged catalog (what `KnowledgeBase.get` returns)
    chunks.json        per chunk: procedure number and kind
    dense.npy          normalised passage vectors of the embedded chunks
    dense_rows.npy     chunk number of each vector
    bm25/              bm25s index over the chunks' folded terms
    restorer.json      syllable bigram model for diacritic restoration

`DIR` itself is a symlink to `.DIR.builds/<build id>`: a build writes a new
folder, then replaces the link in one rename, so a reader never sees half an
index. Passage vectors are cached beside it in `embedding-cache/` keyed by
model and text hash, so a rebuild embeds only chunks whose text changed.

One module of ~440 lines on purpose: building and loading share this layout and change together.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from knowledge.analysis import lexical_terms
from knowledge.chunks import Chunk, catalog_chunks
from knowledge.curated import load_curated
from knowledge.diacritics import DiacriticRestorer
from knowledge.glossary import GLOSSARY_PATH, Glossary, load_glossary
from knowledge.importer import import_export
from knowledge.model import Procedure
from knowledge.text import fold

if TYPE_CHECKING:
    import bm25s
    from sentence_transformers import SentenceTransformer

INDEX_FORMAT = 1
MANIFEST = "manifest.json"
DECISION_PATH = Path(__file__).with_name("decision.yaml")  # an index with the national catalog
# Our curated procedures alone (the default index) lack most of the catalog: questions about
# the rest must end in "no answer" there, so that index has its own calibration.
CURATED_DECISION_PATH = Path(__file__).with_name("decision_curated.yaml")


def decision_path(curated_only: bool) -> Path:
    return CURATED_DECISION_PATH if curated_only else DECISION_PATH


BUILD_CODE = [
    Path(__file__).with_name(n) for n in ("analysis.py", "chunks.py", "diacritics.py", "glossary.py", "index.py")
]
COPY_MIN_SIMILARITY = 0.9  # difflib ratio (folded) from which an overlay text counts as a copy of a question
PASSAGE_MAX_TOKENS = 128  # short passages keep a cold build of the national catalog in budget
BATCH_SIZE = 32
Log = Callable[[str], None]


# --------------------------------------------------------------------------- catalog


def assemble_catalog(sources: Sequence[Path]) -> tuple[list[Procedure], set[str]]:
    """Curated procedures plus every export; in both: export facts, our overlay on top."""
    merged: dict[str, Procedure] = {}
    for source in sources:
        for p in import_export(source).procedures:
            merged[p.code] = p
    curated = load_curated()
    for c in curated:
        official = merged.get(c.code)
        merged[c.code] = official.model_copy(update={"overlay": c.overlay}) if official else c
    return sorted(merged.values(), key=lambda p: p.code), {c.code for c in curated}


def without_copies(
    procedures: list[Procedure], holdout: Sequence[str], min_similarity: float = COPY_MIN_SIMILARITY
) -> tuple[list[Procedure], int]:
    """Drop overlay questions and aliases that (nearly) copy a held-out question, so an
    evaluation on those questions measures retrieval rather than recall of our own text."""
    if not holdout:
        return procedures, 0
    fields = ("aliases", "questions_vi", "questions_en")
    texts = {fold(t) for p in procedures for f in fields for t in getattr(p.overlay, f)}
    copied = _near_copies(texts, {fold(h) for h in holdout}, min_similarity)
    out, dropped = [], 0
    for p in procedures:
        keep = {f: [t for t in getattr(p.overlay, f) if fold(t) not in copied] for f in fields}
        dropped += sum(len(getattr(p.overlay, f)) - len(v) for f, v in keep.items())
        out.append(p.model_copy(update={"overlay": p.overlay.model_copy(update=keep)}))
    return out, dropped


def _near_copies(texts: set[str], held: set[str], least: float) -> set[str]:
    from difflib import SequenceMatcher

    matcher = SequenceMatcher(autojunk=False)
    found: set[str] = set()
    for h in held:
        matcher.set_seq2(h)  # difflib caches its index of the second sequence: set it once
        for t in texts - found:
            matcher.set_seq1(t)
            if matcher.real_quick_ratio() >= least and matcher.quick_ratio() >= least and matcher.ratio() >= least:
                found.add(t)
    return found


def catalog_hash(procedures: Sequence[Procedure], curated: set[str]) -> str:
    """Changes whenever anything the index is built from changes (catalog, glossary, format)."""
    h = hashlib.sha256(f"format {INDEX_FORMAT}\n".encode())
    for path in (GLOSSARY_PATH, DECISION_PATH, CURATED_DECISION_PATH, *BUILD_CODE):  # the code that shapes the index
        h.update(path.read_bytes() if path.is_file() else b"-")
    h.update(json.dumps(sorted(curated)).encode())
    for p in procedures:
        h.update(p.model_dump_json().encode())
    return h.hexdigest()


def restorer_texts(procedures: Sequence[Procedure]) -> Iterator[str]:
    """Accented Vietnamese the restorer learns from: catalog wording, our overlay, glossary."""
    yield from load_glossary().vietnamese
    for p in procedures:
        o = p.overlay
        yield from (p.title, p.field, p.applicants, p.conditions, p.result, o.summary_vi)
        yield from o.aliases
        yield from o.questions_vi
        yield from (d.name for d in p.documents)
        yield from p.steps


def load_decision(curated_only: bool = False) -> dict[str, Any]:
    """The calibrated decision model (`knowledge eval --calibrate --write` refits it)."""
    path = decision_path(curated_only)
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


# --------------------------------------------------------------------------- embeddings


def model_id(name: str) -> str:
    """Model name plus, for a materialised folder, the hash of the weights it came from."""
    marker = Path(name) / "materialized.json"
    if marker.is_file():
        return f"{Path(name).name}@{json.loads(marker.read_text()).get('source_sha256', '')[:16]}"
    return name


class EmbeddingCache:
    """Passage vectors keyed by sha1(model id, text); stored as two .npy files."""

    def __init__(self, folder: Path, model: str) -> None:
        self.folder = folder / hashlib.sha1(model.encode()).hexdigest()[:12]
        self.model = model
        self.vectors: dict[bytes, np.ndarray] = {}
        keys, vecs = self.folder / "keys.npy", self.folder / "vectors.npy"
        if keys.is_file() and vecs.is_file():
            stored = np.load(keys)
            # rows of 20 bytes; caches written as "S20" strings lost trailing NULs: pad them back
            digests = (
                [row.tobytes() for row in stored]
                if stored.dtype == np.uint8
                else [bytes(k).ljust(20, b"\0") for k in stored]
            )
            self.vectors = dict(zip(digests, np.load(vecs)))

    def key(self, text: str) -> bytes:
        return hashlib.sha1(f"{self.model}\0{text}".encode()).digest()

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        # uint8 rows, not "S20": numpy strips trailing NUL bytes from fixed-width strings
        keys = np.frombuffer(b"".join(self.vectors), dtype=np.uint8).reshape(-1, 20)
        vecs = np.stack(list(self.vectors.values())) if self.vectors else np.zeros((0, 0), np.float32)
        for name, arr in (("keys.npy", keys), ("vectors.npy", vecs)):
            tmp = self.folder / f".{name}.{os.getpid()}"
            with open(tmp, "wb") as fh:
                np.save(fh, arr)
            os.replace(tmp, self.folder / name)
        (self.folder / "model.txt").write_text(self.model + "\n")


def get_embedder(name: str | None = None) -> SentenceTransformer:
    """`load_embedder`, materialising the default model folder on first use."""
    from transformers.utils import logging as hf_logging

    from knowledge.embedding import DEFAULT_MODEL_DIR
    from knowledge.embedding.load import load_embedder

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # untyped library; "Loading weights" bars would clutter CLI output
    try:
        model = load_embedder(name)
    except FileNotFoundError:
        from knowledge.embedding.install import materialize  # install-time code, needed once

        materialize(DEFAULT_MODEL_DIR)
        model = load_embedder(name)
    return model


def embed_passages(
    texts: list[str],
    cache: EmbeddingCache,
    model_name: str | None,
    log: Log,
    embedder: SentenceTransformer | None = None,
) -> tuple[np.ndarray, int]:
    """Vectors for `texts`, embedding only cache misses; returns (vectors, cache hits)."""
    keys = [cache.key(t) for t in texts]
    missing = list(dict.fromkeys(k for k in keys if k not in cache.vectors))
    if missing:
        todo = {cache.key(t): t for t in texts}
        log(f"embedding {len(missing)} passages…")
        import torch

        model = embedder or get_embedder(model_name)
        previous = model.max_seq_length, torch.get_num_threads()
        model.max_seq_length = PASSAGE_MAX_TOKENS
        torch.set_num_threads(os.cpu_count() or 1)  # batches use every core (a query engine may have set 1)
        try:
            vecs = model.encode(
                [todo[k] for k in missing],
                prompt_name="passage",
                batch_size=BATCH_SIZE,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        finally:
            model.max_seq_length, threads = previous
            torch.set_num_threads(threads)
        cache.vectors.update(zip(missing, vecs.astype(np.float32)))
    fresh = set(missing)
    hits = sum(1 for k in keys if k not in fresh)
    return np.stack([cache.vectors[k] for k in keys]).astype(np.float32), hits


# --------------------------------------------------------------------------- build


@dataclass(frozen=True)
class BuildReport:
    index_dir: Path
    procedures: int
    curated: int
    chunks: int
    embedded: int
    cache_hits: int
    seconds: float
    unchanged: bool = False

    def summary(self) -> str:
        if self.unchanged:
            return f"index {self.index_dir} is up to date ({self.procedures} procedures), {self.seconds:.1f} s"
        return (
            f"built {self.index_dir}: {self.procedures} procedures ({self.curated} curated), "
            f"{self.chunks} chunks, {self.embedded} embedded ({self.cache_hits} from cache), "
            f"{self.seconds:.1f} s"
        )


def default_cache_dir(index_dir: Path) -> Path:
    return index_dir.parent / "embedding-cache"


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    try:
        manifest = json.loads((index_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def build_index(
    index_dir: Path,
    sources: Sequence[Path] = (),
    model_name: str | None = None,
    cache_dir: Path | None = None,
    force: bool = False,
    holdout: Sequence[str] = (),
    embedder: SentenceTransformer | None = None,
    log: Log = lambda _msg: None,
) -> BuildReport:
    from knowledge.embedding.load import resolve_model_name

    start = time.perf_counter()
    index_dir = Path(index_dir)
    name = resolve_model_name(model_name)
    mid = model_id(name)
    procedures, curated = assemble_catalog([Path(s) for s in sources])
    procedures, dropped = without_copies(procedures, holdout)
    if dropped:
        log(f"left out {dropped} overlay texts that copy held-out questions")
    digest = catalog_hash(procedures, curated)
    old = read_manifest(index_dir)
    if not force and old and old.get("catalog_hash") == digest and old.get("model") == mid:
        return BuildReport(
            index_dir,
            len(procedures),
            len(curated),
            old["chunks"],
            old["dense_chunks"],
            old["dense_chunks"],
            time.perf_counter() - start,
            unchanged=True,
        )
    chunks = catalog_chunks(procedures)
    dense_rows = np.array([i for i, c in enumerate(chunks) if c.dense], dtype=np.int32)
    cache = EmbeddingCache(cache_dir or default_cache_dir(index_dir), mid)
    vectors, hits = embed_passages([chunks[i].passage() for i in dense_rows], cache, model_name, log, embedder)
    if hits < len(dense_rows):
        cache.save()
    build_id = time.strftime("%Y%m%dT%H%M%S") + f"-{uuid.uuid4().hex[:8]}"
    tmp = _builds_dir(index_dir) / f".tmp-{build_id}"
    tmp.mkdir(parents=True)
    _write_files(tmp, procedures, chunks, dense_rows, vectors)
    manifest = {
        "format": INDEX_FORMAT,
        "build_id": build_id,
        "model": mid,
        "model_name": name,
        "dim": int(vectors.shape[1]) if len(vectors) else 0,
        "catalog_hash": digest,
        "sources": [str(Path(s).resolve()) for s in sources],  # a rebuild finds them from any folder
        "holdout_dropped": dropped,
        "procedures": len(procedures),
        "curated": sorted(curated),
        "chunks": len(chunks),
        "dense_chunks": int(len(dense_rows)),
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "build_seconds": round(time.perf_counter() - start, 2),
        "decision": load_decision(curated_only=not sources),
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    _swap_in(tmp, index_dir, build_id)
    return BuildReport(
        index_dir, len(procedures), len(curated), len(chunks), int(len(dense_rows)), hits, time.perf_counter() - start
    )


def _write_files(
    folder: Path, procedures: list[Procedure], chunks: list[Chunk], dense_rows: np.ndarray, vectors: np.ndarray
) -> None:
    import bm25s

    with open(folder / "procedures.jsonl", "w", encoding="utf-8") as fh:
        fh.writelines(p.model_dump_json() + "\n" for p in procedures)
    number = {p.code: i for i, p in enumerate(procedures)}
    table = {"procedure": [number[c.code] for c in chunks], "kind": [c.kind for c in chunks]}
    (folder / "chunks.json").write_text(json.dumps(table), encoding="utf-8")
    np.save(folder / "dense.npy", vectors)
    np.save(folder / "dense_rows.npy", dense_rows)
    glossary = load_glossary()
    retriever = bm25s.BM25()
    retriever.index([_chunk_terms(c.text, glossary) or [""] for c in chunks], show_progress=False)
    retriever.save(str(folder / "bm25"))
    DiacriticRestorer.train(restorer_texts(procedures)).save(folder / "restorer.json")


def _chunk_terms(text: str, glossary: Glossary) -> list[str]:
    extra = glossary.abbreviation_terms(text)
    return lexical_terms(f"{text}\n{'. '.join(extra)}" if extra else text)


def _builds_dir(index_dir: Path) -> Path:
    return index_dir.parent / f".{index_dir.name}.builds"


def _swap_in(tmp: Path, index_dir: Path, build_id: str) -> None:
    """Point `index_dir` (a symlink) at the new build in one rename; keep one previous build
    so a reader that resolved the old link a moment ago can finish loading it."""
    builds = _builds_dir(index_dir)
    final = builds / build_id
    tmp.rename(final)
    if index_dir.exists() and not index_dir.is_symlink():
        shutil.rmtree(index_dir)  # an index from before links were used
    link = index_dir.parent / f".{index_dir.name}.link-{build_id}"
    link.symlink_to(os.path.relpath(final, index_dir.parent))
    previous = os.path.realpath(index_dir) if index_dir.is_symlink() else None
    os.replace(link, index_dir)
    for old in builds.iterdir():
        if old.name not in (build_id, Path(previous or "").name) and not old.name.startswith(".tmp-"):
            shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- load


@dataclass
class IndexData:
    folder: Path  # the resolved build folder
    manifest: dict[str, Any]
    procedures: list[Procedure]
    chunk_procedure: np.ndarray  # int32, per chunk
    chunk_kind: list[str]
    dense: np.ndarray  # float32 (n_dense, dim)
    dense_rows: np.ndarray  # int32 chunk number per vector
    bm25: bm25s.BM25
    restorer: DiacriticRestorer


class InvalidIndex(RuntimeError):
    """The folder is not a usable index."""


def load_index(index_dir: Path) -> IndexData:
    import bm25s

    folder = Path(os.path.realpath(index_dir))
    manifest = read_manifest(folder)
    if manifest is None:
        raise InvalidIndex(f"{index_dir} has no {MANIFEST}: run `knowledge build --index {index_dir}`")
    if manifest.get("format") != INDEX_FORMAT:
        raise InvalidIndex(f"{index_dir} has index format {manifest.get('format')}, expected {INDEX_FORMAT}")
    with open(folder / "procedures.jsonl", encoding="utf-8") as fh:
        procedures = [Procedure.model_validate_json(line) for line in fh]
    table = json.loads((folder / "chunks.json").read_text(encoding="utf-8"))
    return IndexData(
        folder=folder,
        manifest=manifest,
        procedures=procedures,
        chunk_procedure=np.asarray(table["procedure"], dtype=np.int32),
        chunk_kind=table["kind"],
        dense=np.load(folder / "dense.npy"),
        dense_rows=np.load(folder / "dense_rows.npy"),
        bm25=bm25s.BM25.load(str(folder / "bm25")),
        restorer=DiacriticRestorer.load(folder / "restorer.json"),
    )
