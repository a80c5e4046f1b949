"""Regression-test API: bring a lab up from YAML, wait for convergence, inspect, always tear down.

Use it from your own tests::

    from routesim.testing import running_lab

    def test_my_network():
        with running_lab("topologies/static_triangle.yaml") as lab:
            result = lab.wait_converged(timeout=30)
            assert result.converged, result.failures
            assert lab.path("h1", "10.0.0.14") == ["r1", "r2", "r3", "h3"]

or as a pytest fixture (module scope keeps one lab for several tests)::

    from routesim.testing import lab_fixture
    lab = lab_fixture("topo.yaml", scope="module")

Teardown runs however the block ends (assertion failure, exception, Ctrl-C) and is verified:
:class:`LeftoverError` is raised if any namespace, process or state of the lab survives it.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routesim.lab.convergence import ConvergenceResult, wait_converged
from routesim.lab.orchestrator import Lab
from routesim.lab.probes import ping, traceroute
from routesim.lab.state import pid_alive, read_lab_json
from routesim.oracle import expected_tables
from routesim.topology import load_topology
from routesim.topology.model import Topology


class LeftoverError(AssertionError):
    pass


_T0 = time.monotonic()


def step(msg: str) -> None:
    """Narrate a phase of a test (shown with ``-s`` and in the failure output)."""
    print(f"[{time.monotonic() - _T0:7.2f}s] {msg}", flush=True)


def wait_for(cond, timeout: float, what: str, interval: float = 0.05):
    """Wait until ``cond()`` is truthy and return it; fail naming ``what`` on timeout (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = cond()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


def skip_reason() -> str | None:
    """Why namespace labs cannot run here (None when they can)."""
    if os.geteuid() != 0:
        return "needs root to create network namespaces (run the suite as root, e.g. sudo make test)"
    if not Path("/run").is_dir():
        return "/run is missing"
    return None


@dataclass
class RunningLab:
    lab: Lab

    @property
    def topo(self) -> Topology:
        return self.lab.topo

    def wait_converged(self, timeout: float = 60.0, **kw: Any) -> ConvergenceResult:
        return wait_converged(
            self.lab, expected_tables(self.topo), since=self.lab.started_at, timeout=timeout, **kw
        )

    def routes(self, node: str) -> dict[str, Any]:
        return self.lab.inspect(node, "routes")

    def inspect(self, node: str, what: str, **args: Any) -> Any:
        return self.lab.inspect(node, what, **args)

    def exec(self, node: str, *argv: str, timeout: float | None = 30):
        return self.lab.exec(node, list(argv), timeout=timeout)

    def ping(self, node: str, target: str, count: int = 3) -> tuple[int, int, tuple | None]:
        from ipaddress import IPv4Address

        return ping(self.lab, node, IPv4Address(self._addr(target)), count=count)

    def path(self, node: str, target: str) -> list[str]:
        """Node names traceroute sees from ``node`` to ``target`` (an address or a node name)."""
        from ipaddress import IPv4Address

        from routesim.lab.probes import node_of

        hops = traceroute(self.lab, node, IPv4Address(self._addr(target)))
        return [node_of(self.topo, h) for h in hops]

    def _addr(self, target: str) -> str:
        try:
            n = self.topo.node(target)
        except KeyError:
            return target
        if n.loopback is not None:
            return str(n.loopback.ip)
        return str(n.interfaces[0].address.ip)


def leftovers(lab: Lab, pids: list[int]) -> list[str]:
    """What of ``lab`` still exists: namespaces, state directory, processes among ``pids``."""
    out = [f"namespace {ns}" for ns in lab.names.list_netns()]
    if lab.names.state_dir.exists():
        out.append(f"state {lab.names.state_dir}")
    out += [f"process {p}" for p in pids if pid_alive(p)]
    return out


def lab_pids(lab: Lab) -> list[int]:
    return [int(p["pid"]) for p in read_lab_json(lab.names).get("pids", [])]


@contextlib.contextmanager
def running_lab(topology: str | Path | Topology, **kw: Any) -> Iterator[RunningLab]:
    topo = topology if isinstance(topology, Topology) else load_topology(topology)
    lab = Lab(topo, **kw)
    pids: list[int] = []
    try:
        lab.up()
        pids = lab_pids(lab)
        yield RunningLab(lab)
    finally:
        if not pids and lab.state is not None:
            with contextlib.suppress(Exception):
                pids = lab_pids(lab)
        lab.down()
        left = leftovers(lab, pids)
        if left:
            raise LeftoverError(f"teardown of {lab.names.lab} left: {', '.join(left)}")


def lab_fixture(topology: str | Path, *, scope: str = "module", **kw: Any):
    """A pytest fixture yielding a :class:`RunningLab` (skips with a reason when not root)."""
    import pytest

    @pytest.fixture(scope=scope)
    def _fixture():
        reason = skip_reason()
        if reason:
            pytest.skip(reason)
        with running_lab(topology, **kw) as lab:
            yield lab

    return _fixture
