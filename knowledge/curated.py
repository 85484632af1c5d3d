"""Our curated procedures: one YAML file per procedure in `knowledge/procedures/`.

Facts in these files were checked against the national portal catalog
(tests/test_curated.py); the overlay (plain summary, aliases, questions,
English) is our own wording.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from knowledge.model import Procedure

PROCEDURES_DIR = Path(__file__).resolve().parent / "procedures"


class CuratedKnowledgeError(ValueError):
    """A curated file is unreadable or does not match the `Procedure` schema."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        super().__init__(f"{path.name}: {message}")


def load_procedure_file(path: Path) -> Procedure:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise CuratedKnowledgeError(path, f"invalid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CuratedKnowledgeError(path, "expected a mapping at the top level")
    try:
        procedure = Procedure.model_validate(data)
    except ValidationError as exc:
        raise CuratedKnowledgeError(path, f"does not match Procedure: {exc}") from exc
    if procedure.code != path.stem:
        # One file per code keeps merges and reviews simple.
        raise CuratedKnowledgeError(path, f"code {procedure.code!r} differs from the file name")
    return procedure


def load_curated(folder: Path | None = None) -> list[Procedure]:
    """Every `*.yaml` procedure in `folder` (default: the package's `procedures/`), sorted by code."""
    folder = folder or PROCEDURES_DIR
    if not folder.is_dir():
        raise CuratedKnowledgeError(folder, "curated procedures folder not found")
    procedures = [load_procedure_file(p) for p in sorted(folder.glob("*.yaml"))]
    return sorted(procedures, key=lambda p: p.code)
