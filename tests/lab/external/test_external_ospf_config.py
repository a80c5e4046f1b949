"""OSPF for BIRD and FRR: generated sections, the daemons' own parsers, and OSPF readback parsers.

Nodes come from real YAML through the loader, so the generators see exactly the resolved
``OspfSettings`` a lab gives them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from xt_helpers import needs_bird, needs_frr, needs_root

from routesim.lab.external import BirdRouter, FrrRouter, bird_config, frr_configs, parse
from routesim.topology import load_topology_text

DATA = Path(__file__).parent / "data"

LAB = """\
name: xo
timers: TIMERS
nodes:
  r1:
    kind: KIND
    networks: [192.168.1.0/24]
    static: [{prefix: 198.51.100.0/24, blackhole: true}]
    ospf:
      priority: 7
      passive: [h1]
      redistribute: [static, connected]
      external_metric_type: EXT
      external_metric: 30
      interfaces: {r2: {area: 0, cost: 12}, lan1: {area: 1, priority: 0}, h1: {area: 1}, stub0: {area: 1}}
      AUTH
  r2: {ospf: true}
  r3: {ospf: {area: 1}}
  h1: {kind: host, gateway: r1}
links:
  - [r1, r2]
lans:
  - {name: lan1, members: [r1, r3]}
"""


def lab(kind: str, *, ext: int = 2, auth: str = "", timers: str = "fast"):
    text = LAB.replace("KIND", kind).replace("EXT", str(ext)).replace("TIMERS", timers).replace("AUTH", auth)
    topo = load_topology_text(text)
    return topo.node("r1"), topo


MD5 = "auth: {mode: md5, key: s3cret, key_id: 4}"
SIMPLE = "auth: {mode: simple, key: pass8oct}"


def block(text: str, start: str) -> str:
    """The lines from ``start`` up to the matching close of its ``{``."""
    i = text.index(start)
    depth, j = 0, i
    while True:
        c = text[j]
        depth += c == "{"
        depth -= c == "}"
        j += 1
        if c == "}" and depth == 0:
            return text[i:j]


# ---------------------------------------------------------------------------------------------- BIRD


def test_bird_ospf_areas_interfaces_timers_and_loopback() -> None:
    node, topo = lab("bird")
    conf = bird_config(node, topo, Path("/d"))
    ospf = block(conf, "protocol ospf v2 ospf1")
    assert "ipv4 { preference 145; import all; export filter rs_ospf_export; };" in ospf
    assert "ecmp yes;" in ospf
    backbone, area1 = block(ospf, "area 0.0.0.0 {"), block(ospf, "area 0.0.0.1 {")
    r2 = block(backbone, 'interface "r2" {')
    for line in ("type ptp;", "cost 12;", "priority 7;", "hello 1;", "dead 4;", "wait 4;", "retransmit 2;"):
        assert line in r2, line
    assert "stub yes" not in r2
    # r1 is an ABR: its loopback goes in the backbone (the default area), as a host route only
    assert 'interface "lo" 10.255.0.1/32 { stub yes; };' in backbone and '"lo"' not in area1
    lan = block(area1, 'interface "lan1" {')
    assert "type broadcast;" in lan and "priority 0;" in lan and "stub yes" not in lan
    assert "stub yes;" in block(area1, 'interface "h1" {') and "stub yes;" in block(
        area1, 'interface "stub0" {'
    )
    assert "authentication" not in ospf


def test_bird_export_filter_types_and_own_networks() -> None:
    node, topo = lab("bird", ext=1)
    flt = block(bird_config(node, topo, Path("/d")), "filter rs_ospf_export {")
    own = "if net ~ [ 10.0.0.0/30, 10.0.0.4/30, 10.255.0.1/32, 172.16.0.0/24, 192.168.1.0/24 ] then reject;"
    assert own in flt
    assert "if source = RTS_STATIC then { ospf_metric1 = 30; accept; }" in flt
    assert "if source = RTS_DEVICE then { ospf_metric1 = 30; accept; }" in flt
    assert flt.rstrip("}").rstrip().endswith("reject;")
    node2, topo2 = lab("bird", ext=2)
    assert "ospf_metric2 = 30" in bird_config(node2, topo2, Path("/d"))


def test_bird_auth_and_retransmit_clamp() -> None:
    node, topo = lab("bird", auth=MD5)
    conf = bird_config(node, topo, Path("/d"))
    assert 'authentication cryptographic;\n      password "s3cret" { id 4; algorithm keyed md5; };' in conf
    node, topo = lab("bird", auth=SIMPLE, timers="{profile: fast, ospf_retransmit: 1s}")
    conf = bird_config(node, topo, Path("/d"))
    assert 'authentication simple;\n      password "pass8oct";' in conf
    assert "# retransmit raised to BIRD's minimum of 2 s (model 1)\n      retransmit 2;" in conf


def test_bird_rfc_timers() -> None:
    node, topo = lab("bird", timers="rfc")
    r2 = block(bird_config(node, topo, Path("/d")), 'interface "r2" {')
    assert "hello 10;" in r2 and "dead 40;" in r2 and "wait 40;" in r2 and "retransmit 5;" in r2


# ----------------------------------------------------------------------------------------------- FRR


def test_frr_ospfd_interfaces_router_and_redistribution() -> None:
    node, topo = lab("frr", ext=1, auth=MD5)
    configs = frr_configs(node, topo)
    assert list(configs) == ["zebra", "staticd", "ospfd"]
    conf = configs["ospfd"]
    r2 = conf[conf.index("interface r2\n") : conf.index("exit", conf.index("interface r2\n"))]
    assert r2.splitlines()[1:] == [
        " ip ospf area 0.0.0.0",
        " ip ospf cost 12",
        " ip ospf network point-to-point",
        " ip ospf hello-interval 1",
        " ip ospf dead-interval 4",
        " ip ospf retransmit-interval 2",
        " ip ospf transmit-delay 1",
        " ip ospf priority 7",
        " ip ospf authentication message-digest",
        " ip ospf message-digest-key 4 md5 s3cret",
    ]
    lan = conf[conf.index("interface lan1\n") : conf.index("exit", conf.index("interface lan1\n"))]
    assert " ip ospf area 0.0.0.1" in lan and " ip ospf priority 0" in lan and "point-to-point" not in lan
    assert "ip ospf passive" not in lan
    assert "interface h1\n" in conf and " ip ospf passive" in conf[conf.index("interface h1\n") :]
    assert "interface lo\n ip ospf area 0.0.0.0\n ip ospf passive\nexit" in conf
    router = conf[conf.index("router ospf") :]
    assert " ospf router-id 10.255.0.1" in router
    assert " redistribute static metric-type 1 metric 30" in router
    assert " redistribute connected metric-type 1 metric 30" in router


def test_frr_simple_auth_and_ospf_only_on_routers_that_run_it() -> None:
    node, topo = lab("frr", auth=SIMPLE)
    conf = frr_configs(node, topo)["ospfd"]
    assert " ip ospf authentication\n ip ospf authentication-key pass8oct" in conf
    bare = topo.node("r2")
    assert frr_configs(type(bare)(**{**bare.__dict__, "protocols": ()}), topo).keys() == {"zebra", "staticd"}


# ------------------------------------------------------------------------ the daemons' own parsers

VARIANTS = [
    pytest.param({}, id="plain-e2"),
    pytest.param({"ext": 1, "auth": MD5}, id="md5-e1"),
    pytest.param({"auth": SIMPLE, "timers": "rfc"}, id="simple-rfc"),
]


@pytest.mark.interop
@needs_bird
@pytest.mark.parametrize("kw", VARIANTS)
def test_bird_accepts_generated_ospf(workdir: Path, kw: dict) -> None:
    node, topo = lab("bird", **kw)
    b = BirdRouter(node)
    b.write_config(workdir, topo)
    b.check_config()


@pytest.mark.interop
@needs_root
@needs_frr
@pytest.mark.parametrize("kw", VARIANTS)
def test_frr_accepts_generated_ospf(workdir: Path, kw: dict) -> None:
    node, topo = lab("frr", **kw)
    f = FrrRouter(node)
    f.write_config(workdir, topo)
    assert "ospfd" in f.daemons
    f.check_config()  # the dry run (-C) in a private mount and network namespace; refused lines raise


# --------------------------------------------------------------------------- readback of real output


def test_bird_ospf_neighbors_real_output() -> None:
    (ptp,) = parse.bird_ospf_neighbors((DATA / "ospf-bird-show-ospf-neighbors-ptp.txt").read_text())
    assert ptp == {
        "protocol": "ospf",
        "neighbor": "10.0.0.2",
        "router_id": "10.255.0.2",
        "address": "10.0.0.2",
        "interface": "r2",
        "state": "Full",
        "priority": 1,
        "attrs": {"role": "PtP", "dead_in": 3.957},
    }
    (bc,) = parse.bird_ospf_neighbors((DATA / "ospf-bird-show-ospf-neighbors-broadcast.txt").read_text())
    assert (bc["state"], bc["attrs"]["role"]) == ("Full", "DR")


def test_frr_ospf_neighbors_real_json() -> None:
    (ptp,) = parse.frr_ospf_neighbors(
        json.loads((DATA / "ospf-frr-show-ip-ospf-neighbor-ptp.json").read_text())
    )
    assert {k: ptp[k] for k in ("router_id", "address", "interface", "state", "priority")} == {
        "router_id": "10.255.0.1",
        "address": "10.0.0.1",
        "interface": "r1",
        "state": "Full",
        "priority": 1,
    }
    assert ptp["attrs"]["role"] is None and ptp["attrs"]["dead_in"] == pytest.approx(3.671)
    (bc,) = parse.frr_ospf_neighbors(
        json.loads((DATA / "ospf-frr-show-ip-ospf-neighbor-broadcast.json").read_text())
    )
    assert bc["attrs"]["role"] == "Backup"
    assert parse.frr_ospf_neighbors({}) == []


@pytest.mark.parametrize(
    ("raw", "state"), [("2-Way/Other", "2-Way"), ("ExStart/DR", "ExStart"), ("Init", "Init")]
)
def test_ospf_state_names_follow_the_engine(raw: str, state: str) -> None:
    line = f"10.255.0.9\t  1\t{raw}\t 3.0\teth0       10.0.0.9"
    assert parse.bird_ospf_neighbors(line)[0]["state"] == state


def test_ospf_routes_read_back_through_the_existing_parsers() -> None:
    bird = {
        (r["prefix"], r["protocol"]): r
        for r in parse.bird_routes((DATA / "ospf-bird-show-route-all.txt").read_text())
    }
    e1 = bird[("172.16.2.0/24", "ospf")]  # FRR's static as a type 1 external: 1 + 20
    assert (
        e1["selected"] and e1["distance"] == 110 and e1["metric"] == 21 and e1["attrs"]["route_type"] == "E1"
    )
    assert e1["next_hops"] == [{"gateway": "10.0.0.2", "interface": "r2"}]
    lo = bird[("10.255.0.2/32", "ospf")]
    assert lo["metric"] == 1 and lo["attrs"]["route_type"] == "I"  # loopback: cost 0 at its owner
    assert not bird[("10.0.0.0/30", "ospf")]["selected"]  # the connected route wins
    frr = {
        (r["prefix"], r["protocol"]): r
        for r in parse.frr_routes(json.loads((DATA / "ospf-frr-show-ip-route.json").read_text()))
    }
    e2 = frr[("172.16.1.0/24", "ospf")]  # BIRD's static as a type 2 external: the type-2 metric
    assert e2["selected"] and e2["distance"] == 110 and e2["metric"] == 20
    assert frr[("192.168.1.0/24", "ospf")]["metric"] == 2
    assert frr[("10.255.0.2/32", "ospf")]["metric"] == 0
