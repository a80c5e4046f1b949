"""BIRD <-> FRR over OSPF with the generated configs: both reach Full, routes flow both ways, and
the selected OSPF routes equal what the OSPF oracle predicts (cost, path type, next hops).

Each test builds its own ``rs-xt<N>-*`` namespaces; the fixtures stop every daemon and delete every
namespace even when the test fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from xt_helpers import Namespaces, needs_bird, needs_frr, needs_root

from routesim.lab.external import external_router
from routesim.oracle import expected_tables
from routesim.topology import load_topology_text

pytestmark = [pytest.mark.netns, pytest.mark.interop, pytest.mark.slow, needs_root, needs_bird, needs_frr]

LAB = """\
name: xo-live
timers: fast
nodes:
  r1:
    kind: bird
    networks: [192.168.1.0/24]
    static: [{prefix: 172.16.1.0/24, blackhole: true}]
    ospf: {redistribute: [static], interfaces: {r2: {network: NETWORK}, stub0: {}}, AUTH}
  r2:
    kind: frr
    networks: [192.168.2.0/24]
    static: [{prefix: 172.16.2.0/24, blackhole: true}]
    ospf: {redistribute: [static], external_metric_type: 1, interfaces: {r1: {network: NETWORK}, stub0: {}}, AUTH}
links:
  - {endpoints: [r1, r2], subnet: 10.0.0.0/30}
"""


def wait_for(what: str, probe: Callable[[], Any], ok: Callable[[Any], bool], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if ok(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {timeout} s; last value: {value!r}")
        time.sleep(0.25)


def ospf_rib(routes: dict) -> dict[str, dict]:
    return {r["prefix"]: r for r in routes["rib"] if r["protocol"] == "ospf" and r["selected"]}


@pytest.mark.parametrize(
    ("network", "auth"),
    [
        ("point-to-point", "auth: {mode: md5, key: s3cret, key_id: 4}"),
        ("broadcast", "auth: {mode: simple, key: pass8oct}"),
    ],
)
def test_bird_frr_ospf_full_and_routes_match_the_oracle(
    namespaces: Namespaces, workdir: Path, routers: list, network: str, auth: str
) -> None:
    topo = load_topology_text(LAB.replace("NETWORK", network).replace("AUTH", auth))
    n1, n2 = topo.node("r1"), topo.node("r2")
    ns1, ns2 = namespaces.ns("r1"), namespaces.ns("r2")
    namespaces.veth(ns1, "r2", ns2, "r1")
    namespaces.configure(ns1, n1)
    namespaces.configure(ns2, n2)
    started = []
    for node, ns in ((n1, ns1), (n2, ns2)):
        r = external_router(node)
        r.write_config(workdir / node.name, topo)
        r.check_config()
        routers.append(r)
        r.start(ns)
        started.append(r)
    for r in started:
        r.wait_ready(15.0)
    r1, r2 = started

    expected = expected_tables(topo)

    def predicted(name: str) -> dict[str, tuple[int, list[str]]]:
        return {
            str(p): (e.metric, sorted(str(g) for g in e.gateways))
            for p, e in expected.for_router(name).items()
            if e.protocol == "ospf"
        }

    def actual(routes: dict) -> dict[str, tuple[int, list[str]]]:
        return {
            p: (r["metric"], sorted(h["gateway"] for h in r["next_hops"] if h["gateway"]))
            for p, r in ospf_rib(routes).items()
        }

    want1, want2 = predicted("r1"), predicted("r2")
    # the two externals, with their types: E1 at r1 = 1 + 20, E2 at r2 = the type-2 metric
    assert want1["172.16.2.0/24"] == (21, ["10.0.0.2"]) and want2["172.16.1.0/24"] == (20, ["10.0.0.1"])
    assert want1["10.255.0.2/32"] == (1, ["10.0.0.2"]) and want1["192.168.2.0/24"] == (2, ["10.0.0.2"])
    start = time.monotonic()
    wait_for(
        "r1 (BIRD) routes equal the oracle", lambda: actual(r1.inspect("routes")), lambda v: v == want1, 30.0
    )
    wait_for(
        "r2 (FRR) routes equal the oracle", lambda: actual(r2.inspect("routes")), lambda v: v == want2, 30.0
    )
    took = time.monotonic() - start
    for r, peer, rid, iface in ((r1, "10.0.0.2", "10.255.0.2", "r2"), (r2, "10.0.0.1", "10.255.0.1", "r1")):
        (nbr,) = r.inspect("neighbors")["neighbors"]
        assert (nbr["protocol"], nbr["address"], nbr["router_id"], nbr["interface"], nbr["state"]) == (
            "ospf",
            peer,
            rid,
            iface,
            "Full",
        )
        if network == "point-to-point":
            assert nbr["attrs"]["role"] in ("PtP", None)
    # the FIB carries them too
    fib = {f["prefix"]: f for f in r1.inspect("routes")["fib"]}
    assert fib["192.168.2.0/24"]["next_hops"] == [{"gateway": "10.0.0.2", "interface": "r2"}]
    assert took < 30.0
