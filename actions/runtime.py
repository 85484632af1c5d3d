"""Resources the action server loads once and shares between actions: the knowledge index
(reloaded when a new one is built), the locality facts and the reply settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge.loader import KnowledgeLoader
from knowledge.locality import Localities
from knowledge.search import KnowledgeBase
from knowledge.settings import get_settings

RELOAD_CHECK_SECONDS = 10.0
WARM_UP_QUERY = "đăng ký khai sinh"  # the first inference is slow: pay it before a citizen does


@dataclass
class Status:
    knowledge_loaded: bool
    index: str
    error: str | None
    procedures: int
    model: str | None


class Runtime:
    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        # In the caller's thread: the action server loads the index before it takes requests.
        self._loader = KnowledgeLoader(index_dir, reload_seconds=RELOAD_CHECK_SECONDS, warm_up=WARM_UP_QUERY)
        self.localities = Localities.load()

    def knowledge(self) -> KnowledgeBase | None:
        """The loaded index, picking up a rebuilt one without restart."""
        return self._loader.get()

    def status(self) -> Status:
        knowledge = self.knowledge()
        return Status(
            knowledge_loaded=knowledge is not None,
            index=str(self.index_dir),
            error=self._loader.error,
            procedures=len(knowledge.procedures) if knowledge is not None else 0,
            model=knowledge.manifest.get("model_name") if knowledge is not None else None,
        )


_runtime: Runtime | None = None


def runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        _runtime = Runtime(get_settings().index)  # $KNOWLEDGE_INDEX, relative to the repository root
    return _runtime
