"""Fixtures for external-router tests (helpers in xt_helpers.py).

Work directories live under /tmp with mode 0755 so that FRR's daemons, running as user frr, can
reach them (pytest's tmp_path sits under a 0700 directory).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# The suite runs with --import-mode=importlib: make xt_helpers importable by the test modules.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def namespaces(request: pytest.FixtureRequest) -> Iterator[object]:
    from xt_helpers import Namespaces

    tag = f"xt{os.getpid() % 1000}{abs(hash(request.node.nodeid)) % 1000}"
    spaces = Namespaces(tag)
    yield spaces
    spaces.cleanup()


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A directory reachable by user frr (every parent o+x), removed afterwards."""
    d = Path(tempfile.mkdtemp(prefix="rs-xt-", dir="/tmp"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def routers() -> Iterator[list]:
    """Started external routers register here; they are stopped even when the test fails."""
    started: list = []
    yield started
    for r in started:
        r.stop()
