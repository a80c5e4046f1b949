"""Fixtures for lab plumbing tests: namespaces that are always removed, a root-only marker."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# --import-mode=importlib does not put test directories on sys.path: the helper modules of this
# directory (labtopo, labutil; uniquely named) are imported from here.
sys.path.insert(0, str(Path(__file__).parent))

IS_ROOT = os.geteuid() == 0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="needs root (or the routesim user-namespace sandbox) to build namespaces")
    for item in items:
        if "netns" in item.keywords and not IS_ROOT:
            item.add_marker(skip)


@pytest.fixture
def lab_name(request: pytest.FixtureRequest) -> Iterator[str]:
    """A unique test lab name whose namespaces/processes/state are removed even if the test fails."""
    from routesim.lab.names import LabNames
    from routesim.lab.teardown import teardown

    name = f"tlab{os.getpid() % 10000}x{abs(hash(request.node.nodeid)) % 100000}"
    yield name
    teardown(name, LabNames(name))
