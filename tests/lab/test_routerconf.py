"""What the orchestrator writes into each router's config (``lab/routerconf.py``)."""

from __future__ import annotations

from routesim.lab.routerconf import ospf_section
from routesim.topology import load_topology_text

LAB = """\
timers: fast
nodes:
  r1: {ospf: {interfaces: all, passive: [r4]}}
  r2: {ospf: {interfaces: all}}
  r3: {ospf: {interfaces: all}}
  r4: {}
  r5: {ospf: {interfaces: all}}
  h1: {kind: host, gateway: r1}
  h2: {kind: host, gateway: r1}
links:
  - [r1, r2]
  - [r1, r4]
  - [r1, h2]
lans:
  - {name: lan1, members: [r1, r3]}
  - {name: lan2, members: [r1, r5, h1]}
"""


def test_each_ospf_interface_says_whether_an_ospf_router_is_beyond_it() -> None:
    """Only where another router runs OSPF on the same link or LAN is there an adjacency to wait
    for at start (``origination.adjacency_hold``): not towards hosts, nor a router without OSPF."""
    topo = load_topology_text(LAB, "lab.yaml")
    section = ospf_section(topo.node("r1"), topo)
    assert section is not None
    expect = {i["name"]: i.get("expect_neighbors") for i in section["interfaces"]}
    assert expect == {"r2": True, "r4": False, "lan1": True, "lan2": True, "h2": False, "lo": None}
    assert ospf_section(topo.node("r2"), topo)["interfaces"][0]["expect_neighbors"] is True
