from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.stack import REPO, Stack


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Stack:
    """One real action server + one real Rasa server for the whole test session."""
    model = REPO / "models" / "assistant.tar.gz"
    index = REPO / "var" / "index" / "manifest.json"
    for needed in (model, index):
        if not needed.exists():
            pytest.fail(f"{needed} is missing: run `make setup` (make test does it for you)")
    running = Stack.configure(Path(tmp_path_factory.mktemp("stack")))
    try:
        running.start("actions")
        running.start("rasa")
        yield running
    finally:
        running.stop_all()
