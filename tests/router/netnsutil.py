"""A throwaway network namespace for the router's netlink and socket tests."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest

T = TypeVar("T")


@contextmanager
def scratch_netns(prefix: str, *setup: str) -> Iterator[str]:
    """A namespace named ``rs-x<prefix><pid>-n`` set up by ``ip -n NS`` commands, always deleted."""
    if os.geteuid() != 0:
        pytest.skip("needs root to create a network namespace")
    name = f"rs-x{prefix}{os.getpid()}-n"
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        for cmd in setup:
            subprocess.run(["ip", "-n", name, *cmd.split()], check=True)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], check=False)


def veth(a: str, address_a: str, b: str, address_b: str) -> tuple[str, ...]:
    """The ``ip`` commands for a veth pair ``a``-``b``, both addressed and up (for :func:`scratch_netns`)."""
    return (
        f"link add name {a} type veth peer name {b}",
        f"addr add {address_a} dev {a}",
        f"addr add {address_b} dev {b}",
        f"link set dev {a} up",
        f"link set dev {b} up",
    )


def in_netns(name: str, fn: Callable[[], T]) -> T:
    """Run ``fn`` in a thread that entered the namespace (setns affects only the calling thread)."""
    from routesim.router.zygote import enter_netns

    out: dict[str, Any] = {}

    def run() -> None:
        enter_netns(name)
        out["v"] = fn()

    t = threading.Thread(target=run)
    t.start()
    t.join()
    return out["v"]
