"""knowledge.loader: one loaded knowledge base per process, loaded in the caller's thread (action
server) or in the background (web app), reloaded when rebuilt, never raising (with a fake base)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from knowledge.loader import KnowledgeLoader


class FakeBase:
    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self.searched: list[str] = []
        self.reload_checks = 0
        self.reload_error: Exception | None = None

    def search(self, query: str) -> None:
        self.searched.append(query)

    def reload_if_changed(self) -> bool:
        self.reload_checks += 1
        if self.reload_error:
            raise self.reload_error
        return True


class Opener:
    """Stands in for KnowledgeBase(index_dir): fails while `broken`, can be held at a gate."""

    def __init__(self, broken: bool = False, gate: threading.Event | None = None) -> None:
        self.broken, self.gate, self.opened = broken, gate, []

    def __call__(self, index_dir: Path) -> FakeBase:
        if self.gate is not None:
            self.gate.wait(10)
        if self.broken:
            raise RuntimeError("index is broken")
        self.opened.append(FakeBase(index_dir))
        return self.opened[-1]


def test_loads_once_in_the_callers_thread_and_warms_up(tmp_path: Path) -> None:
    opener = Opener()
    loader = KnowledgeLoader(tmp_path, warm_up="đăng ký khai sinh", load=opener)
    first = loader.get()
    assert first is opener.opened[0] and first.searched == ["đăng ký khai sinh"]
    assert loader.get() is first and len(opener.opened) == 1 and loader.error is None


def test_a_broken_index_is_reported_and_tried_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    opener = Opener(broken=True)
    loader = KnowledgeLoader(tmp_path, load=opener)
    assert loader.get() is None and loader.error == "RuntimeError: index is broken"
    assert "knowledge index not loaded" in caplog.text
    opener.broken = False
    assert loader.get() is not None and loader.error is None  # retry_seconds=0: on the next call


def test_retry_waits_for_its_interval(tmp_path: Path) -> None:
    opener = Opener(broken=True)
    loader = KnowledgeLoader(tmp_path, retry_seconds=3600, load=opener)
    assert loader.get() is None
    opener.broken = False
    assert loader.get() is None and not opener.opened


def test_reload_check_is_due_after_its_interval_and_a_failure_keeps_the_loaded_base(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    loader = KnowledgeLoader(tmp_path, reload_seconds=0.05, load=Opener())
    base = loader.get()
    assert base is not None and base.reload_checks == 0
    time.sleep(0.06)
    assert loader.get() is base and base.reload_checks == 1
    base.reload_error = OSError("half-written build")
    time.sleep(0.06)
    assert loader.get() is base and base.reload_checks == 2
    assert "knowledge index not reloaded: OSError: half-written build" in caplog.text


def test_background_load_never_makes_the_caller_wait(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{}")
    gate = threading.Event()
    opener = Opener(gate=gate)
    loader = KnowledgeLoader(tmp_path, background=True, load=opener)
    assert loader.get() is None and loader.loading
    assert loader.get() is None  # still loading: no second load is started
    gate.set()
    deadline = time.monotonic() + 10
    while loader.loading and time.monotonic() < deadline:
        time.sleep(0.01)
    assert loader.get() is opener.opened[0] and len(opener.opened) == 1


def test_background_load_waits_for_a_built_index(tmp_path: Path) -> None:
    opener = Opener()
    loader = KnowledgeLoader(tmp_path, background=True, load=opener)
    assert loader.get() is None and not loader.loading and not opener.opened and loader.error is None
