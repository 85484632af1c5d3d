"""Resources the action server loads once and shares between actions: the knowledge index
(reloaded when a new one is built), the locality facts and the reply settings."""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from knowledge.locality import Localities
from knowledge.search import KnowledgeBase

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
RELOAD_CHECK_SECONDS = 10.0


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
        self._knowledge: KnowledgeBase | None = None
        self._error: str | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()
        self.localities = Localities.load()

    def knowledge(self) -> KnowledgeBase | None:
        """The loaded index, picking up a rebuilt one without restart."""
        with self._lock:
            if self._knowledge is None:
                self._load()
            elif time.monotonic() - self._checked_at > RELOAD_CHECK_SECONDS:
                self._checked_at = time.monotonic()
                self._knowledge.reload_if_changed()
            return self._knowledge

    def _load(self) -> None:
        try:
            self._knowledge = KnowledgeBase(self.index_dir)
            self._knowledge.search("đăng ký khai sinh")  # first inference is slow: pay it before a citizen does
            self._error = None
            self._checked_at = time.monotonic()
            logger.info("knowledge index loaded from %s", self.index_dir)
        except Exception as error:  # missing or broken index: report it, answer politely
            self._error = f"{type(error).__name__}: {error}"
            logger.error("knowledge index not loaded: %s", self._error)

    def status(self) -> Status:
        knowledge = self.knowledge()
        return Status(
            knowledge_loaded=knowledge is not None,
            index=str(self.index_dir),
            error=self._error,
            procedures=len(knowledge.engine.data.procedures) if knowledge is not None else 0,
            model=knowledge.manifest.get("model_name") if knowledge is not None else None,
        )


_runtime: Runtime | None = None


def runtime() -> Runtime:
    global _runtime
    if _runtime is None:
        index = Path(os.environ.get("KNOWLEDGE_INDEX", "var/index"))
        _runtime = Runtime(index if index.is_absolute() else REPO_ROOT / index)
    return _runtime
