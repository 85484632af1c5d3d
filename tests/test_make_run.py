"""`make run` keeps the catalog the user imported: the set-up it runs rebuilds the index from the
sources recorded in its manifest (or KNOWLEDGE_SOURCE), never silently from the curated ones alone.

Runs the real Makefile with RUN_ALL=true, so only the set-up of `make run` happens, not the servers.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = ("1.001193", "1.000656", "2.001035", "1.004222")  # the last one arrives in the second export


def make_run(index: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "KNOWLEDGE_SOURCE"} | env
    return subprocess.run(
        ["make", "-s", "run", "RUN_ALL=true", f"KNOWLEDGE_INDEX={index}"],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )


def manifest(index: Path) -> dict:
    return json.loads((index / "manifest.json").read_text(encoding="utf-8"))


def write_export(path: Path, catalog_path: Path, codes: tuple[str, ...]) -> None:
    """A small export in the portal's format: real records for a few codes."""
    with gzip.open(catalog_path, "rt", encoding="utf-8") as lines:
        records = [line for line in lines if json.loads(line)["ma_thu_tuc"] in codes]
    path.write_text("".join(records), encoding="utf-8")


@pytest.mark.catalog
def test_make_run_keeps_and_refreshes_an_imported_catalog(tmp_path: Path, catalog_path: Path) -> None:
    index, export = tmp_path / "index", tmp_path / "export.jsonl"
    (tmp_path / "embedding-cache").symlink_to(REPO / "var" / "embedding-cache")  # reuse the vectors
    write_export(export, catalog_path, SAMPLE[:3])

    first = make_run(index, KNOWLEDGE_SOURCE=str(export))
    assert first.returncode == 0, first.stderr[-2000:]
    built = manifest(index)
    assert built["sources"] == [str(export.resolve())]

    again = make_run(index)  # no variable: the index keeps its catalog, and nothing is rebuilt
    assert again.returncode == 0, again.stderr[-2000:]
    assert manifest(index)["build_id"] == built["build_id"] and "up to date" in again.stdout

    write_export(export, catalog_path, SAMPLE)  # the export changes: rebuilt from it, still
    changed = make_run(index)
    assert changed.returncode == 0, changed.stderr[-2000:]
    rebuilt = manifest(index)
    assert rebuilt["build_id"] != built["build_id"] and rebuilt["sources"] == built["sources"]
    assert "catalog source" in changed.stderr

    curated = make_run(index, KNOWLEDGE_SOURCE="none")  # the way back to our curated knowledge alone
    assert curated.returncode == 0, curated.stderr[-2000:]
    assert manifest(index)["sources"] == []


def test_a_missing_source_is_named_and_the_index_kept(tmp_path: Path) -> None:
    index = tmp_path / "index"
    done = make_run(index, KNOWLEDGE_SOURCE=str(tmp_path / "nowhere.jsonl.gz"))
    assert done.returncode != 0 and "nowhere.jsonl.gz not found" in done.stderr
    assert not (index / "manifest.json").exists()
