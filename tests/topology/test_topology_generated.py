"""Generated topologies: any valid one resolves to unique addresses and valid, unique names; big ones load fast."""

from __future__ import annotations

import itertools
import time
from ipaddress import IPv4Address

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routesim.topology import load_topology_text
from routesim.topology.model import IfaceKind, Topology

NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=0, max_size=11).map(
    lambda s: "n" + s
)


@st.composite
def topologies(draw: st.DrawFn) -> dict:
    names = draw(st.lists(NAME, min_size=2, max_size=10, unique=True))
    routers, hosts = names[: max(2, len(names) - 3)], names[max(2, len(names) - 3) :]
    nodes: dict[str, dict] = {}
    stub = iter(range(256))
    for r in routers:
        spec: dict = {"kind": draw(st.sampled_from(["routesim", "bird", "frr"]))}
        if draw(st.booleans()):
            spec["networks"] = [f"198.18.{next(stub)}.0/24" for _ in range(draw(st.integers(1, 2)))]
        nodes[r] = spec
    for h in hosts:
        nodes[h] = {"kind": "host", "gateway": draw(st.sampled_from(routers))}
    pair = st.lists(st.sampled_from(names), min_size=2, max_size=2, unique=True)
    links: list = []
    explicit = iter(range(256))
    for a, b in draw(st.lists(pair, max_size=15)):
        if draw(st.booleans()):
            links.append([a, b])
        else:
            links.append({"endpoints": [a, b], "subnet": f"192.168.{next(explicit)}.0/30", "cost": 3})
    lans = []
    for i, members in enumerate(
        draw(st.lists(st.lists(st.sampled_from(names), min_size=2, max_size=5, unique=True), max_size=3))
    ):
        lans.append({"name": f"lan{i}", "members": members})
    doc: dict = {
        "nodes": nodes,
        "links": links,
        "lans": lans,
        "timers": draw(st.sampled_from(["rfc", "fast"])),
    }
    if draw(st.booleans()):
        doc["addressing"] = {"p2p_prefixlen": 31}
    return doc


def check_invariants(t: Topology) -> None:
    seen: set[IPv4Address] = set()
    for n in t.nodes:
        if n.loopback is not None:
            assert n.loopback.ip not in seen
            seen.add(n.loopback.ip)
        names = [i.name for i in n.interfaces]
        assert len(names) == len(set(names)), names
        for i in n.interfaces:
            assert 1 <= len(i.name) <= 15 and "/" not in i.name and i.name != "lo"
            assert i.address.ip not in seen, i
            seen.add(i.address.ip)
            if i.network.prefixlen <= 30:
                assert i.address.ip not in (i.network.network_address, i.network.broadcast_address)
    subnets = [lk.subnet for lk in t.links] + [la.subnet for la in t.lans]
    subnets += [i.network for n in t.nodes for i in n.interfaces if i.kind is IfaceKind.STUB]
    subnets += [n.loopback.network for n in t.nodes if n.loopback is not None]
    ordered = sorted(subnets, key=lambda s: (int(s.network_address), -s.prefixlen))
    for x, y in itertools.pairwise(ordered):
        assert not x.overlaps(y), (x, y)
    for lk in t.links:
        a, b = t.node(lk.a.node).iface(lk.a.iface), t.node(lk.b.node).iface(lk.b.iface)
        assert a.peer == lk.b.node and a.peer_address == b.address.ip and b.peer_address == a.address.ip
        assert a.network == b.network == lk.subnet
    for h in t.hosts:
        owner = t.owner_of(h.gateway)
        assert owner is not None and owner[0].name == h.gateway_node and owner[0].is_router
        assert any(h.gateway in i.network for i in h.interfaces)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(topologies())
def test_generated_topologies_resolve(doc: dict) -> None:
    text = yaml.safe_dump(doc, sort_keys=False)
    t = load_topology_text(text, "gen.yaml")
    check_invariants(t)
    assert load_topology_text(text, "gen.yaml") == t


def big_topology(n: int = 100) -> str:
    lines = ["timers: fast", "nodes:"]
    for i in range(n):
        lines.append(
            f"  r{i}: {{asn: {64500 + i}, networks: [198.18.{i}.0/24], rip: true, ospf: {{area: 0}}}}"
        )
    for i in range(0, n, 10):
        lines.append(f"  h{i}: {{kind: host, gateway: r{i}}}")
    lines.append("links:")
    for i in range(n):
        lines.append(f"  - {{endpoints: [r{i}, r{(i + 1) % n}], delay: 1ms, cost: 2}}")
        lines.append(f"  - [r{i}, r{(i + 7) % n}]")
    lines.append("lans:")
    for k in range(5):
        members = ", ".join(f"r{k * 20 + j}" for j in range(5))
        lines.append(f"  - {{name: lan{k}, members: [{members}]}}")
    lines.append("expect:")
    lines.append("  - {reach: {from: h0, to: h50}}")
    return "\n".join(lines) + "\n"


def test_hundred_routers_load_fast() -> None:
    text = big_topology()
    t = load_topology_text(text, "big.yaml")
    assert len(t.routers) == 100 and len(t.links) == 200 + 10  # 10 implicit host links
    check_invariants(t)
    best = min(_timed(text) for _ in range(3))
    assert best < 0.2, f"loading 100 routers took {best:.3f}s"


def _timed(text: str) -> float:
    start = time.perf_counter()
    load_topology_text(text, "big.yaml")
    return time.perf_counter() - start
