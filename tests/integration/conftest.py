"""Namespace integration tests: real labs, skipped with a reason when they cannot run here."""

from __future__ import annotations

import shutil

import pytest

from routesim.testing import skip_reason


def pytest_collection_modifyitems(config, items):
    reason = skip_reason()
    for item in items:
        if "netns" in item.keywords and reason:
            item.add_marker(pytest.mark.skip(reason=reason))
        for tool in ("bird", "vtysh", "gobgpd"):
            if f"needs_{tool}" in item.keywords and shutil.which(tool) is None:
                item.add_marker(
                    pytest.mark.skip(reason=f"{tool} is not installed (apt-get install it, or run make test)")
                )
