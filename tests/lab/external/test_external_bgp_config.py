"""BGP for BIRD, FRR and GoBGP: generated sections, what each generator refuses, the daemons' parsers.

Nodes come from real YAML through the loader, so the generators see exactly the resolved
``BgpSettings`` a lab gives them.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from xt_helpers import needs_bird, needs_frr, needs_root

from routesim.lab.external import (
    BirdRouter,
    ExternalConfigError,
    FrrRouter,
    GobgpRouter,
    bird_config,
    external_router,
    frr_configs,
    gobgp_config,
)
from routesim.lab.external.gobgp import api_port
from routesim.topology import load_topology_text
from routesim.topology.errors import TopologyError

needs_gobgp = pytest.mark.skipif(shutil.which("gobgpd") is None, reason="gobgpd not installed")

# r1 (KIND) is a customer of r2 and a peer of r3, route reflector for r4 (iBGP between loopbacks over
# a static route), with a full set of session options toward r2.
LAB = """\
name: xb
timers: fast
nodes:
  r1:
    kind: KIND
    asn: 4200000001
    networks: [192.168.1.0/24]
    static: [{prefix: 10.255.0.4/32, via: 10.0.0.10}]
    bgp:
      announce: [192.168.1.0/24, 203.0.113.0/24]
      announce_always: ALWAYS
      redistribute: [static]
      cluster_id: 10.255.0.9
      neighbors:
        r2:
          relationship: provider
          md5: s3cret
          ttl_security: true
          max_prefix: 1000
          hold_time: 9s
          keepalive: 3s
          FOUR
          import: [{match: {prefix: 10.0.0.0/8, ge: 16, le: 24}, action: reject},
                   {match: {as_path: "_4134_"}, set: {local_pref: 50}},
                   {match: {as_path: "ASPATH"}, action: reject},
                   {match: {community: "65000:1"}, set: {med: 10, communities: ["64500:100", no-export]}},
                   {action: accept}]
          export: {rules: [{match: {prefix: [192.168.1.0/24]}, set: {prepend: 2}}], default: reject}
        r3: {relationship: peer, passive: true}
        r4: {next_hop_self: true, route_reflector_client: true}
  r2: {kind: bird, asn: 4200000002, bgp: {neighbors: {r1: {relationship: customer, md5: s3cret, ttl_security: true}}}}
  r3: {kind: bird, asn: 64503, bgp: {neighbors: {r1: {relationship: peer}}}}
  r4: {kind: bird, asn: 4200000001, static: [{prefix: 10.255.0.1/32, via: 10.0.0.9}], bgp: {neighbors: {r1: {}}}}
links:
  - {endpoints: [r1, r2], subnet: 10.0.0.0/30}
  - {endpoints: [r1, r3], subnet: 10.0.0.4/30}
  - {endpoints: [r1, r4], subnet: 10.0.0.8/30}
"""


def lab(kind: str, *, always: bool = True, four: str = "", as_path: str = "^4134 "):
    text = LAB.replace("KIND", kind).replace("ALWAYS", str(always).lower()).replace("FOUR", four)
    topo = load_topology_text(text.replace("ASPATH", as_path))
    return topo.node("r1"), topo


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


def route_map(text: str, name: str) -> list[tuple[str, int, list[str]]]:
    """``route-map NAME permit|deny SEQ`` entries in order: (verb, seq, body lines)."""
    out = []
    for m in re.finditer(rf"^route-map {re.escape(name)} (permit|deny) (\d+)\n((?: .*\n)*)exit$", text, re.M):
        out.append((m[1], int(m[2]), [ln.strip() for ln in m[3].splitlines()]))
    return out


# --- BIRD -------------------------------------------------------------------------------------------


def bird_text(**kw) -> str:
    kw.setdefault("as_path", "_64999_")
    node, topo = lab("bird", **kw)
    return bird_config(node, topo, Path("/tmp/rs-xt-bgp"))


def test_bird_sessions_have_every_option() -> None:
    text = bird_text()
    r2 = block(text, "protocol bgp ebgp_r2 {")
    for line in (
        "local 10.0.0.1 as 4200000001;",
        "neighbor 10.0.0.2 as 4200000002;",
        "source address 10.0.0.1;",
        "direct;",
        'password "s3cret";',
        "ttl security yes;",
        "hold time 9;",
        "keepalive time 3;",
        "enable as4 yes;",
        "preference 235;",
        "import filter rs_bgp_in_r2;",
        "export filter rs_bgp_out_r2;",
        "import limit 1000 action disable;",
    ):
        assert f"  {line}" in r2, line
    assert "next hop self" not in r2 and "rr client" not in r2 and "passive" not in r2
    r3 = block(text, "protocol bgp ebgp_r3 {")
    assert "  passive on;" in r3 and "  hold time 3;" in r3 and "  keepalive time 1;" in r3  # fast profile
    # iBGP between loopbacks: its own name and preference, multihop, RR client, cluster id, next hop self
    r4 = block(text, "protocol bgp ibgp_r4 {")
    for line in (
        "local 10.255.0.1 as 4200000001;",
        "neighbor 10.255.0.4 as 4200000001;",
        "multihop 64;",
        "rr client;",
        "rr cluster id 10.255.0.9;",
        "preference 55;",
        "next hop self;",
    ):
        assert f"  {line}" in r4, line
    assert "direct;" not in r4


def test_bird_filters_relationships_and_policy() -> None:
    text = bird_text()
    imp = block(text, "filter rs_bgp_in_r2 {").splitlines()
    # markers from outside are removed first, then LOCAL_PREF and our marker (provider = class 3),
    # then the rules in order; the catch-all rule ends the filter
    assert imp[1].strip().startswith("bgp_large_community.delete([ (4200000001, 1000, *) ])")
    assert imp[2].strip().startswith("bgp_local_pref = 100;")
    assert imp[3].strip() == "bgp_large_community.add((4200000001, 1000, 3));"
    assert imp[4].strip() == "if (net ~ [ 10.0.0.0/8{16,24} ]) then { reject; }"
    assert imp[5].strip() == "if (bgp_path ~ [= * 4134 * =]) then { bgp_local_pref = 50; accept; }"
    assert imp[6].strip() == "if (bgp_path ~ [= * 64999 * =]) then { reject; }"
    assert imp[7].strip() == (
        "if ((65000,1) ~ bgp_community) then { bgp_med = 10; bgp_community.add((64500,100));"
        " bgp_community.add((65535,65281)); accept; }"
    )
    assert imp[8].strip() == "accept;" and imp[9] == "}"
    exp = block(text, "filter rs_bgp_out_r2 {")
    # valley-free toward a provider; announce + redistribute static; default reject; prepend x2
    assert "if bgp_large_community ~ [ (4200000001, 1000, 2), (4200000001, 1000, 3) ] then reject;" in exp
    assert "if !((net ~ [ 192.168.1.0/24, 203.0.113.0/24 ]) || (source = RTS_STATIC)) then reject;" in exp
    assert (
        "if (net ~ [ 192.168.1.0/24 ]) then { bgp_path.prepend(4200000001); bgp_path.prepend(4200000001);"
        " accept; }" in exp
    )
    assert exp.rstrip("}").rstrip().endswith("reject;")
    # toward iBGP: no valley check, markers kept; toward the peer: valley check too
    assert "bgp_large_community.delete" not in block(text, "filter rs_bgp_out_r4 {")
    assert "(4200000001, 1000, 2)" not in block(text, "filter rs_bgp_out_r4 {")
    assert "(4200000001, 1000, 2), (4200000001, 1000, 3)" in block(text, "filter rs_bgp_out_r3 {")
    assert "bgp_local_pref = 150;" in block(text, "filter rs_bgp_in_r3 {")


def test_bird_announce_always_is_a_least_preferred_blackhole() -> None:
    text = bird_text()
    static = block(text, "protocol static static_announce {")
    assert "preference 1;" in static
    assert "route 192.168.1.0/24 blackhole;" in static and "route 203.0.113.0/24 blackhole;" in static
    assert "static_announce" not in bird_text(always=False)


def test_bird_as_path_shapes() -> None:
    assert "if (bgp_path.last = 64999) then { reject; }" in bird_text(as_path="_64999$")
    assert "if (bgp_path.first = 64999) then { reject; }" in bird_text(as_path="^64999_")
    with pytest.raises(ExternalConfigError, match="as_path regex not supported by the BIRD generator"):
        bird_text(as_path="^4134 ")


def test_bird_two_octet_sessions() -> None:
    with pytest.raises(ExternalConfigError, match="four_octet_as false with a 4-octet ASN"):
        bird_text(four="four_octet_as: false")
    text = LAB.replace("KIND", "bird").replace("ALWAYS", "false").replace("ASPATH", "_1_")
    text = (
        text.replace("4200000001", "64501")
        .replace("4200000002", "64502")
        .replace("FOUR", "four_octet_as: false")
    )
    topo = load_topology_text(text)
    assert "  enable as4 no;" in block(
        bird_config(topo.node("r1"), topo, Path("/x")), "protocol bgp ebgp_r2 {"
    )


@needs_bird
def test_bird_accepts_the_generated_bgp_config(tmp_path: Path) -> None:
    node, topo = lab("bird", as_path="_64999_")
    r = BirdRouter(node)
    r.write_config(tmp_path, topo)
    r.check_config()  # bird -p


# --- FRR --------------------------------------------------------------------------------------------


def frr_text(**kw) -> dict[str, str]:
    node, topo = lab("frr", **kw)
    return frr_configs(node, topo)


def test_frr_router_bgp_and_neighbors() -> None:
    conf = frr_text()["bgpd"]
    for line in (
        "router bgp 4200000001",
        " bgp router-id 10.255.0.1",
        " no bgp ebgp-requires-policy",
        " no bgp default ipv4-unicast",
        " coalesce-time 0",
        " bgp bestpath compare-routerid",
        " bgp cluster-id 10.255.0.9",
        " neighbor 10.0.0.2 remote-as 4200000002",
        " neighbor 10.0.0.2 update-source 10.0.0.1",
        " neighbor 10.0.0.2 ttl-security hops 1",
        " neighbor 10.0.0.2 password s3cret",
        " neighbor 10.0.0.2 timers 3 9",
        " neighbor 10.0.0.6 passive",
        " neighbor 10.255.0.4 remote-as 4200000001",
        " neighbor 10.255.0.4 update-source 10.255.0.1",
        "  network 192.168.1.0/24 route-map rs-originate",
        "  redistribute static route-map rs-originate",
        "  neighbor 10.0.0.2 activate",
        "  neighbor 10.0.0.2 maximum-prefix 1000",
        "  neighbor 10.0.0.2 route-map rs-r2-in in",
        "  neighbor 10.0.0.2 route-map rs-r2-out out",
        "  neighbor 10.255.0.4 next-hop-self",
        "  neighbor 10.255.0.4 route-reflector-client",
    ):
        assert line in conf.splitlines(), line
    assert " neighbor 10.0.0.2 ebgp-multihop" not in conf  # direct link


def test_frr_route_maps_in_rule_order() -> None:
    conf = frr_text()["bgpd"]
    entries = route_map(conf, "rs-r2-in")
    assert [(v, s) for v, s, _ in entries] == [
        ("permit", 1),
        ("permit", 2),
        ("deny", 10),
        ("permit", 20),
        ("deny", 30),
        ("permit", 40),
        ("permit", 50),
        ("permit", 65000),
    ]
    assert entries[1][2] == [
        "set local-preference 100",
        "set large-community 4200000001:1000:3 additive",
        "on-match next",
    ]
    assert entries[5][2] == [
        "match community rs-r2-in-c4",
        "set metric 10",
        "set community 64500:100 no-export additive",
    ]
    assert "ip prefix-list rs-r2-in-p1 seq 5 permit 10.0.0.0/8 ge 16 le 24" in conf
    assert "bgp as-path access-list rs-r2-in-a2 seq 5 permit _4134_" in conf
    assert "bgp as-path access-list rs-r2-in-a3 seq 5 permit ^4134 " in conf
    out = route_map(conf, "rs-r2-out")
    assert [(v, s) for v, s, _ in out] == [
        ("deny", 1),
        ("permit", 2),
        ("deny", 3),
        ("deny", 4),
        ("permit", 5),
        ("permit", 10),
        ("deny", 65000),
    ]
    assert out[5][2] == [
        "match ip address prefix-list rs-r2-out-p1",
        "set as-path prepend 4200000001 4200000001",
    ]
    assert out[4][2] == ["set large-comm-list rs-rel-all delete", "on-match next"]
    # a customer-facing or iBGP session has no valley-free entries
    assert route_map(conf, "rs-r4-out") == []


def test_frr_announce_always_is_a_distance_254_blackhole() -> None:
    assert "ip route 203.0.113.0/24 blackhole 254" in frr_text()["staticd"]
    assert "blackhole 254" not in frr_text(always=False)["staticd"]


def test_frr_refuses_what_it_cannot_express() -> None:
    with pytest.raises(ExternalConfigError, match="four_octet_as false is not supported by FRR"):
        frr_text(four="four_octet_as: false")
    with pytest.raises(ExternalConfigError, match="Python-only syntax"):
        frr_text(as_path=r"^\\d+ 4134$")


@needs_root
@needs_frr
def test_frr_accepts_the_generated_bgp_config(workdir: Path) -> None:
    node, topo = lab("frr")
    r = FrrRouter(node)
    r.write_config(workdir, topo)
    r.check_config()  # bgpd -C, and no "No such command" in its output


# --- GoBGP ------------------------------------------------------------------------------------------

GOBGP_LAB = """\
name: xg
timers: fast
nodes:
  g1:
    kind: gobgp
    asn: 4200000001
    bgp:
      announce: [192.168.1.0/24]
      cluster_id: 10.255.0.9
      neighbors:
        r2: {md5: "s3\\"cret", max_prefix: 100, hold_time: 9s, keepalive: 3s, passive: true}
        r3: {ttl_security: true}
        r4: {route_reflector_client: true}
        r5: {multihop: true}
        EXTRA
  r2: {kind: frr, asn: 64502, bgp: {neighbors: {g1: {md5: "s3\\"cret"}}}}
  r3: {kind: frr, asn: 64503, bgp: {neighbors: {g1: {ttl_security: true}}}}
  r4: {kind: frr, asn: 4200000001, bgp: {neighbors: {g1: {}}}}
  r5: {kind: frr, asn: 64505, bgp: {neighbors: {g1: {multihop: true}}}}
links:
  - [g1, r2]
  - [g1, r3]
  - [g1, r4]
  - [g1, r5]
"""


def gobgp_lab(extra: str = ""):
    topo = load_topology_text(GOBGP_LAB.replace("EXTRA", extra))
    return topo.node("g1"), topo


def toml_table(text: str, index: int) -> str:
    """The ``index``-th ``[[neighbors]]`` table."""
    return text.split("[[neighbors]]")[index + 1]


def test_gobgp_toml() -> None:
    node, topo = gobgp_lab()
    text = gobgp_config(node, topo)
    assert "  as = 4200000001\n" in text and '  router-id = "10.255.0.1"\n' in text
    assert "  port = 179\n" in text and '"10.255.0.1"]' in text
    r2 = toml_table(text, 0)
    for line in (
        "peer-as = 64502",
        'auth-password = "s3\\"cret"',
        "hold-time = 9",
        "keepalive-interval = 3",
        "passive-mode = true",
        'afi-safi-name = "ipv4-unicast"',
        "max-prefixes = 100",
    ):
        assert f"    {line}" in r2 or f"      {line}" in r2, line
    assert "ttl-min = 255" in toml_table(text, 1)
    r4 = toml_table(text, 2)
    assert "route-reflector-client = true" in r4 and 'route-reflector-cluster-id = "10.255.0.9"' in r4
    r5 = toml_table(text, 3)
    assert "[neighbors.ebgp-multihop.config]" in r5 and "multihop-ttl = 64" in r5
    assert 'local-address = "10.255.0.1"' in r5  # between loopbacks


REFUSE_LAB = """\
name: xg
nodes:
  g1: {kind: gobgp, asn: 64501, bgp: {neighbors: {r2: G1}}}
  r2: {kind: frr, asn: 64502, bgp: {neighbors: {g1: R2}}}
links:
  - [g1, r2]
"""


@pytest.mark.parametrize(
    ("g1", "r2", "message"),
    [
        ("{import: [{action: reject}]}", "{}", "policies are not supported on gobgp nodes"),
        ("{four_octet_as: false}", "{}", "four_octet_as false is not supported by GoBGP"),
    ],
)
def test_gobgp_refuses(g1: str, r2: str, message: str) -> None:
    topo = load_topology_text(REFUSE_LAB.replace("G1", g1).replace("R2", r2))
    with pytest.raises(ExternalConfigError, match=message):
        gobgp_config(topo.node("g1"), topo)


def test_gobgp_relationships_are_global_policies() -> None:
    topo = load_topology_text(
        REFUSE_LAB.replace("G1", "{relationship: provider}").replace("R2", "{relationship: customer}")
    )
    text = gobgp_config(topo.node("g1"), topo)
    assert 'neighbor-set-name = "rs-r2"' in text and 'neighbor-info-list = ["10.0.0.2"]' in text
    assert 'large-community-list = ["64501:1000:2", "64501:1000:3"]' in text
    imp = text[text.index('name = "rs-import"') : text.index('name = "rs-export"')]
    # remove foreign markers, then LOCAL_PREF 100 (provider) and our class-3 marker
    assert imp.index("import-r2-strip") < imp.index("import-r2-mark")
    assert 'options = "remove"' in imp and "set-local-pref = 100" in imp
    assert 'communities-list = ["64501:1000:3"]' in imp
    exp = text[text.index('name = "rs-export"') :]
    assert exp.index("export-r2-valley") < exp.index("export-r2-strip")
    assert 'route-disposition = "reject-route"' in exp
    assert 'import-policy-list = ["rs-import"]' in text and 'export-policy-list = ["rs-export"]' in text
    # no relationship in the AS: no policies at all
    plain = load_topology_text(REFUSE_LAB.replace("G1", "{}").replace("R2", "{}"))
    assert "policy" not in gobgp_config(plain.node("g1"), plain)


def test_gobgp_kind_in_the_loader_and_the_factory() -> None:
    node, _ = gobgp_lab()
    assert isinstance(external_router(node), GobgpRouter)
    assert 50051 <= api_port(node) < 51051
    with pytest.raises(TopologyError, match="a gobgp node runs BGP only"):
        load_topology_text("name: x\nnodes:\n  g: {kind: gobgp, asn: 65001, rip: true, bgp: {}}\n")


@needs_gobgp
def test_gobgpd_accepts_the_generated_config(tmp_path: Path) -> None:
    node, topo = gobgp_lab()
    r = GobgpRouter(node)
    r.write_config(tmp_path, topo)
    r.check_config()  # gobgpd -d
    topo = load_topology_text(
        REFUSE_LAB.replace("G1", "{relationship: peer}").replace("R2", "{relationship: peer}")
    )
    rel = GobgpRouter(topo.node("g1"))
    rel.write_config(tmp_path / "rel", topo)
    rel.check_config()
    r.conf_path.write_text(r.conf_path.read_text() + "\n[broken\n")
    with pytest.raises(ExternalConfigError, match=r"gobgpd\.toml"):
        r.check_config()
