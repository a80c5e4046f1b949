"""The foundation lab: three routesim routers, one BIRD router, two hosts, static routes only.

ping and traceroute must follow the static routes (the long way round), every table must match
the oracle (BIRD's read back through birdc), and teardown must leave nothing behind.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from routesim.testing import running_lab, step

pytestmark = [pytest.mark.netns, pytest.mark.needs_bird]
TOPO = Path(__file__).resolve().parents[3] / "topologies" / "static_triangle.yaml"


def test_static_triangle_with_bird_forwards_along_the_static_path():
    with running_lab(TOPO) as lab:
        step("waiting for convergence against the oracle")
        res = lab.wait_converged(timeout=60)
        assert res.converged, res.failures
        b1 = {r["prefix"]: r for r in res.tables["b1"]["rib"] if r["selected"]}
        assert b1["10.1.1.0/24"]["protocol"] == "static"  # read back from BIRD
        fib = {r["prefix"]: r for r in res.tables["r1"]["fib"]}
        assert fib["10.2.2.0/24"]["protocol"] == "routesim"
        assert fib["10.2.2.0/24"]["next_hops"][0]["interface"] == "r2"
        step("traceroute h1 -> h2 and back")
        assert lab.path("h1", "10.2.2.2") == ["r1", "r2", "r3", "b1", "h2"]
        assert lab.path("h2", "10.1.1.2") == ["b1", "r3", "r2", "r1", "h1"]
        sent, received, _ = lab.ping("h1", "10.2.2.2", count=3)
        assert received == sent == 3
    # running_lab raises LeftoverError if a namespace, process or state survived teardown
