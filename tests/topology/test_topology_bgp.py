"""The typed ``bgp:`` section: session addresses, options, policies, and every check's message."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest

from routesim.topology import TopologyError, load_topology, load_topology_text
from routesim.topology.model import BgpPolicyRuleSettings, BgpPolicySettings, BgpSettings

ROOT = Path(__file__).resolve().parents[2]
A = IPv4Address
N = IPv4Network

BASE = """
timers: fast
nodes:
  r1:
    asn: 65001
    bgp:
      announce: 192.0.2.0/24
      redistribute: [connected, ospf]
      cluster_id: 10.255.0.99
      neighbors:
        r2: {relationship: customer, md5: s3cret, hold_time: 9s, keepalive: 3s, four_octet_as: false,
             max_prefix: 1000, ttl_security: true, passive: true}
        r3: {next_hop_self: true, route_reflector_client: true}
        10.9.9.9: {remote_as: 65009}
        10.0.0.2: {remote_as: 65002, multihop: false}
  r2:
    asn: 65002
    bgp:
      neighbors:
        r1: {relationship: provider, md5: s3cret,
             import: [{match: {prefix: 10.0.0.0/8, ge: 16, le: 24}, action: reject},
                      {match: {as_path: "_4134_"}, set: {local_pref: 50}},
                      {match: {as_path: "^65001$"}, set: {local_pref: 60}},
                      {match: {origin_as: 64500, community: no-export}, set: {med: 10, communities: ["64500:100"]}},
                      {action: accept}],
             export: {rules: [{match: {prefix: [203.0.113.0/24, {prefix: 198.51.100.0/24, le: 26}]},
                               set: {prepend: 2}}], default: reject}}
  r3:
    asn: 65001
    bgp: {neighbors: {r1: {}}}
  r4:
    asn: 4200000000
    bgp: {neighbors: {r3x: {}}}
links:
  - {endpoints: [r1, r2], subnet: 10.0.0.0/30}
  - {endpoints: [r1, r3], subnet: 10.0.0.4/30}
"""


def load(text: str):
    return load_topology_text(text, "b.yaml")


def errors(text: str) -> str:
    with pytest.raises(TopologyError) as info:
        load(text)
    return str(info.value)


def two(r1: str = "{}", r2: str = "{}", *, asn2: int = 65002, extra: str = "") -> str:
    return f"""
nodes:
  r1: {{asn: 65001, bgp: {{neighbors: {{r2: {r1}}}}}}}
  r2: {{asn: {asn2}, bgp: {{neighbors: {{r1: {r2}}}}}}}
{extra}links: [[r1, r2]]
"""


def test_sessions_resolve_addresses_and_options() -> None:
    text = BASE.replace("        10.0.0.2: {remote_as: 65002, multihop: false}\n", "").replace(
        "  r4:\n    asn: 4200000000\n    bgp: {neighbors: {r3x: {}}}\n", ""
    )
    t = load(text)
    s = t.node("r1").protocol("bgp")
    assert isinstance(s, BgpSettings)
    assert (s.asn, s.announce, s.redistribute, s.cluster_id) == (
        65001,
        (N("192.0.2.0/24"),),
        ("connected", "ospf"),
        A("10.255.0.99"),
    )
    r2, r3, ext = s.neighbors
    # eBGP by name: the shared link's addresses
    assert (r2.node, r2.address, r2.local_address, r2.remote_as, r2.ebgp) == (
        "r2",
        A("10.0.0.2"),
        A("10.0.0.1"),
        65002,
        True,
    )
    assert (r2.relationship, r2.md5, r2.hold_time, r2.keepalive, r2.four_octet_as) == (
        "customer",
        "s3cret",
        9.0,
        3.0,
        False,
    )
    assert (r2.max_prefix, r2.ttl_security, r2.passive, r2.multihop) == (1000, True, True, False)
    # iBGP by name: loopbacks
    assert (r3.address, r3.local_address, r3.ebgp, r3.next_hop_self, r3.route_reflector_client) == (
        A("10.255.0.3"),
        A("10.255.0.1"),
        False,
        True,
        True,
    )
    # by address, not on a connected subnet: our loopback, no node
    assert (ext.node, ext.address, ext.local_address, ext.remote_as, ext.ebgp) == (
        None,
        A("10.9.9.9"),
        A("10.255.0.1"),
        65009,
        True,
    )
    assert r2.hold_time is not None and r3.hold_time is None and r3.four_octet_as
    back = t.node("r2").protocol("bgp").neighbor("r1")
    assert back.relationship == "provider" and back.import_policy is not None
    assert s.neighbor("r3") is r3 and s.neighbor("10.9.9.9") is ext


def test_policies_are_typed() -> None:
    text = BASE.replace("        10.0.0.2: {remote_as: 65002, multihop: false}\n", "").replace(
        "  r4:\n    asn: 4200000000\n    bgp: {neighbors: {r3x: {}}}\n", ""
    )
    nb = load(text).node("r2").protocol("bgp").neighbor("r1")
    imp, exp = nb.import_policy, nb.export_policy
    assert imp == BgpPolicySettings(
        (
            BgpPolicyRuleSettings(prefixes=((N("10.0.0.0/8"), 16, 24),), action="reject"),
            BgpPolicyRuleSettings(as_path_contains=4134, set_local_pref=50),
            BgpPolicyRuleSettings(as_path_regex="^65001$", set_local_pref=60),
            BgpPolicyRuleSettings(
                as_path_origin=64500,
                community=(0xFFFF, 0xFF01),
                set_med=10,
                add_communities=((64500, 100),),
            ),
            BgpPolicyRuleSettings(),
        ),
        "accept",
    )
    assert exp == BgpPolicySettings(
        (
            BgpPolicyRuleSettings(
                prefixes=((N("203.0.113.0/24"), None, None), (N("198.51.100.0/24"), None, 26)), prepend=2
            ),
        ),
        "reject",
    )


def test_address_neighbor_on_a_connected_subnet_and_in_the_model() -> None:
    t = load(
        two(r1="{}", r2="{}").replace("neighbors: {r2: {}}", "neighbors: {10.0.0.2: {remote_as: 65002}}")
    )
    nb = t.node("r1").protocol("bgp").neighbors[0]
    assert (nb.name, nb.node, nb.address, nb.local_address, nb.ebgp) == (
        "10.0.0.2",
        "r2",
        A("10.0.0.2"),
        A("10.0.0.1"),
        True,
    )


def test_multihop_ebgp_uses_loopbacks_and_as_trans_is_allowed() -> None:
    t = load(two("{multihop: true, four_octet_as: false}", "{multihop: true}", asn2=4200000000))
    nb = t.node("r1").protocol("bgp").neighbors[0]
    assert (nb.address, nb.local_address, nb.multihop, nb.remote_as) == (
        A("10.255.0.2"),
        A("10.255.0.1"),
        True,
        4200000000,
    )
    # a bare `bgp:` is an empty section (no sessions)
    t = load("nodes:\n  r1:\n    asn: 1\n    bgp:\n")
    assert t.node("r1").protocol("bgp") == BgpSettings(asn=1, neighbors=())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            two("{relationship: cousin}"),
            "nodes.r1.bgp.neighbors.r2.relationship: unknown relationship 'cousin'",
        ),
        (
            two("{remote_as: 7}"),
            "nodes.r1.bgp.neighbors.r2.remote_as: remote_as 7 differs from 'r2''s asn 65002",
        ),
        (two("{nexthop_self: true}"), "unknown neighbor key 'nexthop_self'; expected one of remote_as"),
        (two("{relationship: peer}", asn2=65001), "relationship applies to eBGP sessions"),
        (two("{route_reflector_client: true}"), "route reflection (RFC 4456) is for iBGP neighbors only"),
        (two("{import: [{set: {prepend: 2}}]}"), "import[0].set.prepend: prepend applies to export policies"),
        (
            two("{export: [{set: {local_pref: 2}}]}"),
            "export[0].set.local_pref: local_pref is not sent to eBGP peers (RFC 4271 §5.1.5)",
        ),
        (two("{export: [{action: reject, set: {med: 2}}]}"), "export[0].set: a reject rule sets nothing"),
        (two("{export: [{action: drop}]}"), "export[0].action: action must be accept or reject, got 'drop'"),
        (two("{export: {rules: [], default: deny}}"), "export.default: default must be accept or reject"),
        (two("{import: [{match: {community: '65536:1'}}]}"), "bad community '65536:1'; expected ASN:VALUE"),
        (two("{import: [{match: {prefix: 10.0.0.0/8, ge: 4}}]}"), "need 8 <= ge <= le <= 32"),
        (two("{import: [{match: {pfx: 10.0.0.0/8}}]}"), "unknown match key 'pfx'"),
        (two("{hold_time: 9s, keepalive: 9s}"), "keepalive (9s) must be positive and shorter than the hold"),
        (two("{hold_time: 3.5s}"), "hold_time must be 0 or 3..65535 whole seconds"),
        (
            two("{md5: a}", "{md5: b}"),
            "nodes.r1.bgp.neighbors.r2.md5: md5 keys of r1 and r2 differ (RFC 2385)",
        ),
        (two("{md5: a}"), "nodes.r2.bgp.neighbors.r1: md5 keys of r2 and r1 differ"),
        (two("{max_prefix: 0}"), "max_prefix must be an integer in 1..4294967295, got 0"),
        (two("{passive: yes please}"), "passive must be true or false"),
        (
            two("{multihop: true}"),
            "r1 connects to r2 at 10.255.0.2 from 10.255.0.1 but r2 expects 10.0.0.2 from 10.0.0.1",
        ),
        (
            two("{multihop: true, ttl_security: true}", "{multihop: true}"),
            "ttl_security (RFC 5082) needs a directly connected peer; 10.255.0.2 is not",
        ),
        (
            "nodes:\n  r1: {asn: 1, bgp: {neighbors: {r2: {}}}}\n  r2: {asn: 2}\nlinks: [[r1, r2]]\n",
            "nodes.r1.bgp.neighbors.r2: 'r2' has no bgp section; configure bgp on it too",
        ),
        (
            "nodes:\n  r1: {asn: 1, bgp: {neighbors: {h1: {}}}}\n  h1: {kind: host, gateway: r1}\n",
            "'h1' is a host, not a router; BGP neighbors are routers",
        ),
        ("nodes:\n  r1: {asn: 1, bgp: {neighbors: {r1: {}}}}\n", "'r1' cannot be its own BGP neighbor"),
        (
            "nodes:\n  r1: {asn: 1, bgp: {announce: [10.0.0.1/8]}}\n",
            "nodes.r1.bgp.announce[0]: prefix 10.0.0.1/8",
        ),
        ("nodes:\n  r1: {asn: 1, bgp: {redistribute: [bgp]}}\n", "unknown redistribute source 'bgp'"),
        ("nodes:\n  r1: {asn: 1, bgp: {neighbours: {}}}\n", "unknown bgp key 'neighbours'; expected one of"),
        (
            "nodes:\n  r1: {asn: 1, bgp: [r2]}\n",
            "nodes.r1.bgp: the bgp section must be a mapping, got a list",
        ),
        (
            "nodes:\n  r1: {asn: 1, bgp: {neighbors: {10.0.0.9: {remote_as: 2}, 10.0.0.9 : {remote_as: 2}}}}\n",
            "duplicate key",
        ),
        (
            "nodes:\n  r1: {asn: 1, bgp: {neighbors: {r2: {multihop: true}, 10.255.0.2: {remote_as: 2}}}}\n"
            "  r2: {asn: 2, bgp: {neighbors: {r1: {multihop: true}}}}\n",
            "nodes.r1.bgp.neighbors.10.255.0.2: duplicate session to 10.255.0.2 (also 'r2')",
        ),
    ],
)
def test_bgp_errors(text: str, message: str) -> None:
    assert message in errors(text)


def test_error_positions_point_at_the_neighbor() -> None:
    text = (
        "nodes:\n  r1: {asn: 1, bgp: {neighbors: {r2: {relationship: cousin}}}}\n"
        "  r2: {asn: 2, bgp: {neighbors: {r1: {}}}}\nlinks: [[r1, r2]]\n"
    )
    assert "b.yaml:2:53: nodes.r1.bgp.neighbors.r2.relationship: unknown relationship" in errors(text)


@pytest.mark.parametrize("lab", ["multiline_bgp", "singleline_bgp"])
def test_headline_labs_load(lab: str) -> None:
    t = load_topology(ROOT / "topologies" / f"{lab}.yaml")
    idc = t.node("idc").protocol("bgp")
    assert idc.asn == 64500 and idc.announce == (N("203.0.113.0/24"),)
    assert {n.relationship for n in idc.neighbors} == {"provider"}
    t1 = t.node("telecom1").protocol("bgp")
    assert t1.neighbor("idc").relationship == "customer"
    assert t1.neighbor("telecom2").ebgp is False and t1.neighbor("telecom2").next_hop_self
    assert t1.neighbor("unicom1").relationship == "peer"
    assert str(t.node("web").interfaces[0].address.ip) == "203.0.113.10"
    assert len(idc.neighbors) == (3 if lab == "multiline_bgp" else 1)
