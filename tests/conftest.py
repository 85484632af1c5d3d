"""Shared test helpers: where the repository and the real third-party data are."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
CATALOG = SHARED_DATA / "dvc-procedures-2026.jsonl.gz"


@pytest.fixture(scope="session")
def catalog_path() -> Path:
    if not CATALOG.exists():
        pytest.skip(f"real catalog not found at {CATALOG} (only present on project machines)")
    return CATALOG
