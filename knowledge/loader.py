"""The one loaded `KnowledgeBase` of a long-running process (the action server, the web app).

`KnowledgeLoader.get()` returns it, loading it on first use; a rebuilt index (`make index`) is
swapped in without a restart, looked for at most every `reload_seconds`; a missing or broken
index is logged and kept in `error`, never raised, and looked for again at most every
`retry_seconds`.

    background=False  the action server: the first `get()` loads in the caller's thread, and a
                      reload check runs there too (a rebuilt index is swapped in under a lock)
    background=True   the web app: `get()` never waits; loads and reload checks run in a daemon
                      thread and `get()` returns None until the first load is done (the pages
                      fall back to our curated files meanwhile); no load is started while the
                      index has no manifest
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy, FAISS and torch are imported when an index is loaded, not before
    from knowledge.search import KnowledgeBase

logger = logging.getLogger(__name__)
MANIFEST = "manifest.json"  # knowledge.index.MANIFEST: an index folder has one once it is built


def open_knowledge_base(index_dir: Path) -> KnowledgeBase:
    from knowledge.search import KnowledgeBase

    return KnowledgeBase(index_dir)


class KnowledgeLoader:
    def __init__(
        self,
        index_dir: Path,
        *,
        background: bool = False,
        retry_seconds: float = 0.0,
        reload_seconds: float = 10.0,
        warm_up: str | None = None,
        load: Callable[[Path], KnowledgeBase] = open_knowledge_base,
    ) -> None:
        """`warm_up`: a query searched right after loading (the first inference is slow: pay it
        before a citizen does); `load` builds the knowledge base (tests pass a fake)."""
        self.index_dir = Path(index_dir)
        self.background = background
        self.retry_seconds = retry_seconds
        self.reload_seconds = reload_seconds
        self.warm_up = warm_up
        self._load_base = load
        self.error: str | None = None  # why the last load failed, until one succeeds
        self._knowledge: KnowledgeBase | None = None
        self._tried_at = -float("inf")
        self._checked_at = time.monotonic()
        self._busy = False  # a background load or reload check is running
        self._lock = threading.RLock()  # reentrant: a load in the caller's thread reports under it

    def get(self) -> KnowledgeBase | None:
        """The loaded knowledge base, or None while none is (a load is started when due)."""
        with self._lock:
            now = time.monotonic()
            if self._busy:
                pass
            elif self._knowledge is None:
                if now - self._tried_at >= self.retry_seconds and self._may_load():
                    self._tried_at = now
                    self._run(self._load)
            elif now - self._checked_at >= self.reload_seconds:
                self._checked_at = now
                self._run(self._reload)
            return self._knowledge

    @property
    def loading(self) -> bool:
        """A background load or reload check is running."""
        return self._busy

    def _may_load(self) -> bool:
        return not self.background or (self.index_dir / MANIFEST).exists()

    def _run(self, job: Callable[[], None]) -> None:
        if not self.background:
            job()
            return
        self._busy = True

        def work() -> None:
            try:
                job()
            finally:
                with self._lock:
                    self._busy = False

        threading.Thread(target=work, name="knowledge-load", daemon=True).start()

    def _load(self) -> None:
        try:
            knowledge = self._load_base(self.index_dir)
            if self.warm_up:
                knowledge.search(self.warm_up)
        except Exception as error:  # a missing or broken index must not take the service down
            with self._lock:
                self.error = f"{type(error).__name__}: {error}"
            logger.error("knowledge index not loaded: %s", self.error)
            return
        with self._lock:
            self._knowledge, self.error, self._checked_at = knowledge, None, time.monotonic()
        logger.info("knowledge index loaded from %s", self.index_dir)

    def _reload(self) -> None:
        """Swap in a rebuilt index; the loaded one serves meanwhile, and stays if the new one fails."""
        knowledge = self._knowledge
        try:
            if knowledge is not None and knowledge.reload_if_changed():
                logger.info("knowledge index reloaded from %s", self.index_dir)
        except Exception as error:
            logger.error("knowledge index not reloaded: %s: %s", type(error).__name__, error)
