"""Settings of the knowledge engine, read once from the environment (defaults: scripts/defaults.sh).

    KNOWLEDGE_INDEX          the index folder the action server loads (default var/index;
                             a relative path is under the repository root)
    EMBEDDING_MODEL          sentence-transformers folder or hub name (default: the folder
                             `python -m knowledge.embedding` materialises, var/models/multilingual-e5-small)
    KNOWLEDGE_QUERY_THREADS  math threads for query embedding; unset: OMP_NUM_THREADS (the services
                             set 1, scripts/defaults.sh: steadier when many citizens ask at once);
                             0: one per core, the fastest on a quiet machine (default 0)

An empty variable counts as unset. A bad value raises a ValidationError (a ValueError) naming the
variable, e.g. "KNOWLEDGE_QUERY_THREADS  Input should be a valid integer".
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]


class KnowledgeSettings(BaseSettings):
    """`KnowledgeSettings()` reads the environment; `KnowledgeSettings(query_threads=...)` sets fields by name."""

    model_config = SettingsConfigDict(
        frozen=True, case_sensitive=True, env_ignore_empty=True, validate_by_name=True, extra="ignore"
    )

    index: Path = Field(Path("var/index"), validation_alias="KNOWLEDGE_INDEX", validate_default=True)
    embedding_model: str | None = Field(None, validation_alias="EMBEDDING_MODEL")  # None: the materialised folder
    query_threads: int = Field(0, ge=0, validation_alias=AliasChoices("KNOWLEDGE_QUERY_THREADS", "OMP_NUM_THREADS"))
    # Catalog export(s) `knowledge build` merges under our curated knowledge, ":"-separated; "none" for
    # our curated procedures alone; unset: the sources the index was last built from (its manifest).
    source: str | None = Field(None, validation_alias="KNOWLEDGE_SOURCE")

    @field_validator("index")
    @classmethod
    def _under_repo(cls, value: Path) -> Path:
        return value if value.is_absolute() else REPO_ROOT / value


@cache
def get_settings() -> KnowledgeSettings:
    """The process's settings, read on first use (when a process starts its knowledge base);
    tests that change the environment call `get_settings.cache_clear()`."""
    return KnowledgeSettings()
