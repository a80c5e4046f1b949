"""The malformed-topology corpus: each tests/topology/bad/NAME.yaml with its expected message.

Each expectation is a substring of ``str(TopologyError)`` that starts right after ``NAME.yaml:``,
so it pins the line, the column, the field path and the wording.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from routesim.topology import TopologyError, load_topology

BAD = Path(__file__).parent / "bad"

CASES: list[tuple[str, str]] = [
    ("yaml_syntax", "4:5: (top): YAML syntax error: did not find expected ',' or '}' (while parsing a flow mapping at line 3, column 7)"),
    ("not_mapping", "2:1: (top): the topology must be a mapping with at least 'nodes:', got a list"),
    ("unknown_top_key", "2:1: node: unknown top-level key 'node'; expected one of name, description, timers, addressing, nodes, links, lans, events, expect (did you mean 'nodes'?)"),
    ("unknown_node_key", "4:5: nodes.r1.asm: unknown node key 'asm'; expected one of kind, asn, router_id, loopback, networks, static, rip, ospf, bgp, gateway (did you mean 'asn'?)"),
    ("duplicate_node", "5:3: nodes.r1: duplicate key 'r1' (first defined at line 3, column 3)"),
    ("duplicate_key", "6:5: links[0].cost: duplicate key 'cost' (first defined at line 5, column 5)"),
    ("bad_kind", "2:14: nodes.r1.kind: unknown kind 'juniper'; expected one of routesim, bird, frr, gobgp, host"),
    ("link_unknown_node", "6:22: links[3].endpoints[1]: unknown node 'r9'; expected one of r1, r2, r3 (did you mean 'r3'?)"),
    ("link_to_itself", "3:5: links[0]: link from 'r1' to itself"),
    ("link_three_endpoints", "3:17: links[0].endpoints: a link joins exactly two nodes, got 3; use lans: for more"),
    ("host_protocol", "6:5: nodes.h1.ospf: a host runs no routing protocol; remove 'ospf'"),
    ("host_no_gateway", "3:3: nodes.h1: host 'h1' needs a gateway: a router name or an address"),
    ("host_gateway_host", "4:29: nodes.h2.gateway: gateway 'h1' is a host, not a router"),
    ("gateway_not_shared", "4:29: nodes.h1.gateway: gateway 10.0.0.2 (r2) is not on a subnet of 'h1'"),
    ("overlap_explicit", "4:35: links[1].subnet: 10.1.7.4/30 overlaps 10.1.7.0/29 (links[0].subnet, at "),
    ("overlap_explicit_auto", "6:5: links[0]: no free /30 left in the p2p pool 10.0.0.0/16 (addressing.p2p); enlarge the pool or give it a subnet:; 10.0.0.0/15 (nodes.r1.networks[0], at "),
    ("address_outside_subnet", "5:35: links[0].addresses.r3: address 10.1.8.2 is outside the subnet 10.1.7.0/30"),
    ("address_network", "5:21: links[0].addresses.r2: 10.1.7.0 is the network address of 10.1.7.0/30; use 10.1.7.1 to 10.1.7.2"),
    ("address_broadcast", "6:21: lans[0].addresses.r3: 172.16.5.255 is the broadcast address of 172.16.5.0/24"),
    ("address_prefix_mismatch", "5:21: links[0].addresses.r1: 10.1.7.1/24 does not match the subnet 10.1.7.0/30"),
    ("duplicate_address", "6:38: lans[0].addresses.r2: duplicate address 172.16.5.10 (already used by lans[0].addresses.r1, at "),
    ("duplicate_loopback", "3:18: nodes.r2.loopback: duplicate loopback 10.255.0.1 (already r1's loopback, at "),
    ("pool_exhausted", "8:5: links[2]: no free /30 left in the p2p pool 10.0.0.0/29 (addressing.p2p)"),
    ("ifname_too_long", "6:19: links[0].ifnames.r1: interface name 'to-the-far-away-r2' is 18 characters; Linux allows at most 15"),
    ("ifname_auto_too_long", "7:5: links[1]: interface name 'core-router-abc-1' is 17 characters; Linux allows at most 15: automatic name on 'r1'"),
    ("duplicate_ifname", "4:41: links[1].ifnames.r1: duplicate interface name 'uplink' on node 'r1' (also links[0].ifnames.r1, at "),
    ("bad_duration", "3:34: links[0].delay: bad duration '40 parsecs'; expected e.g. 40ms, 2s, 1.5s, 1m"),
    ("prefix_host_bits", "3:16: nodes.r1.networks[0]: prefix 203.0.113.7/24 has host bits set; did you mean 203.0.113.0/24?"),
    ("bad_ip", "2:19: nodes.r1.router_id: bad IPv4 address '10.0.0.256'"),
    ("bad_loss", "3:33: links[0].loss: loss 150% is out of range; expected 0% to 100%"),
    ("bad_rate", "3:33: links[0].rate: bad rate '10 megabytes'; expected e.g. 100kbit, 10mbit, 1gbit"),
    ("bad_asn", "2:13: nodes.r1.asn: asn 4294967296 is out of range 1..4294967295"),
    ("bad_timers_profile", "1:9: timers: unknown timers profile 'fsat'; expected one of rfc, fast (did you mean 'fast'?)"),
    ("bad_timer_dead", "4:14: timers.ospf_dead: ospf_dead (5s) must exceed ospf_hello (5s)"),
    ("bad_bgp_hold", "1:20: timers.bgp_hold: bgp_hold must be 0 or at least 3s (RFC 4271 §4.2), got 2s"),
    ("static_unknown_node", "4:34: nodes.r1.static[0].via: unknown node 'r7'; expected one of r1, r2"),
    ("static_not_connected", "4:9: nodes.r1.static[0]: next hop 192.0.2.1 is not on a connected subnet of 'r1' (connected: 10.0.0.0/30)"),
    ("static_no_shared_link", "3:14: nodes.r1.static[0]: 'r1' and 'r3' share no link or LAN"),
    ("lan_one_member", "3:27: lans[0].members: a LAN needs at least 2 members, got 1"),
    ("lan_unknown_member", "3:36: lans[0].members[2]: unknown node 'r3'; expected one of r1, r2"),
    ("expect_unknown_node", "5:20: expect[0].reach.from: unknown node 'h9'; expected one of r1, h1"),
    ("expect_via_unknown", "5:46: expect[0].reach.via[0]: unknown node 'r2'; expected one of r1, h1"),
    ("event_two_actions", "4:5: events[0]: an event has exactly one action, got 2 (link_down, crash)"),
    ("event_unknown_action", "4:16: events[0].link_dwn: unknown event key or action 'link_dwn'; expected one of after, wait, link_down"),
    ("event_unknown_link", "4:35: events[0].link_down: no link joins 'r1' and 'r3'"),
    ("rip_unknown_iface", "3:28: nodes.r1.rip.interfaces[1]: unknown interface 'eth0'; expected one of r2"),
    ("rip_bad_split_horizon", "4:22: nodes.r1.rip.split_horizon: bad split_horizon 'poison'; expected one of poisoned, simple, off"),
    ("ospf_not_mapping", "2:14: nodes.r1.ospf: ospf must be true or a mapping, got 3"),
    ("ospf_unknown_iface", "2:32: nodes.r1.ospf.interfaces[1]: unknown interface 'r3x'; expected one of r2, r3 (did you mean 'r3'?)"),
    ("ospf_bad_area", "2:21: nodes.r1.ospf.area: bad area '1.2.3'; expected an integer (0, 1, ...) or a dotted quad (0.0.0.1)"),
    ("ospf_bad_cost", "2:39: nodes.r1.ospf.interfaces.r2.cost: OSPF interface cost (RFC 2328 §C.3) must be an integer in 1..65535, got 0"),
    ("ospf_bad_priority", "2:25: nodes.r1.ospf.priority: priority must be an integer in 0..255, got 256"),
    ("ospf_dead_not_above_hello", "2:50: nodes.r1.ospf.interfaces.r2.dead: dead interval (5s) must exceed the hello interval (5s)"),
    ("ospf_p2p_on_lan", "2:44: nodes.r1.ospf.interfaces.lan1.network: interface 'lan1' is a lan interface; point-to-point is only for p2p links"),
    ("ospf_auth_key_too_long", "2:41: nodes.r1.ospf.auth.key: simple auth key is longer than 8 octets (RFC 2328 D.3: a 64-bit password)"),
    ("ospf_hello_mismatch", "4:40: nodes.r2.ospf.interfaces.r1.hello: OSPF hello interval mismatch: r2.r1 has 2s but r1.r2 has 1s; they could never become adjacent"),
    ("ospf_area_mismatch", "4:21: nodes.r3.ospf.area: OSPF area mismatch: r3.lan1 has 0.0.0.1 but r1.lan1 has 0.0.0.0; they could never become adjacent"),
    ("ospf_abr_no_backbone", "2:14: nodes.r1.ospf: ABR r1 has no backbone interface (areas 0.0.0.0, 0.0.0.1, 0.0.0.2, counting its loopback's); virtual links are not supported"),
    ("bgp_no_asn", "3:10: nodes.r1.bgp: 'r1' runs BGP but has no asn; add asn: (1..4294967295) to the node"),
    ("bgp_one_sided", "2:39: nodes.idc.bgp.neighbors.telecom1: idc lists telecom1 as a neighbor but telecom1 does not list idc"),
    ("bgp_relationship_mismatch", "2:64: nodes.idc.bgp.neighbors.telecom1.relationship: 'idc' says telecom1 is its provider but telecom1 says idc is its peer; expected customer there (or nothing)"),
    ("bgp_two_links", "2:38: nodes.r1.bgp.neighbors.r2: 'r1' and 'r2' share 2 links; an eBGP session by name needs exactly one (or multihop: true to peer between loopbacks, or the peer's address as the key)"),
    ("bgp_unknown_neighbor", "3:43: nodes.telecom2.bgp.neighbors.telcom1: unknown BGP neighbor (a router with bgp, or an address) 'telcom1'; expected one of telecom1 (did you mean 'telecom1'?)"),
    ("bgp_md5_too_long", "2:48: nodes.r1.bgp.neighbors.r2.md5: md5 key is 81 octets; at most 80 (TCP_MD5SIG_MAXKEYLEN)"),
    ("bgp_bad_hold", "2:54: nodes.r1.bgp.neighbors.r2.hold_time: hold_time must be 0 or 3..65535 whole seconds (RFC 4271 §4.2), got 2s"),
    ("bgp_address_no_remote_as", "2:38: nodes.r1.bgp.neighbors.10.9.9.9: neighbor 10.9.9.9 is given by address: it needs remote_as"),
    ("bgp_bad_policy", "6:41: nodes.r1.bgp.neighbors.r2.import[0].match.as_path: bad as_path regex '(4134': missing ), unterminated subpattern at position 0"),
    ("bad_lab_name", "1:7: name: bad lab name 'My_Lab'"),
    ("many_problems", "3:13: nodes.r1.asn: asn 0 is out of range 1..4294967295"),
]  # fmt: skip


def _error(name: str) -> TopologyError:
    with pytest.raises(TopologyError) as info:
        load_topology(BAD / f"{name}.yaml")
    return info.value


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_topology_message(name: str, expected: str) -> None:
    text = str(_error(name))
    assert f"{name}.yaml:{expected}" in text, text


def test_corpus_and_table_agree() -> None:
    files = sorted(p.stem for p in BAD.glob("*.yaml"))
    assert files == sorted(c[0] for c in CASES)
    assert len(files) >= 30


def test_every_problem_line_has_file_line_column_path() -> None:
    for name, _ in CASES:
        for line in str(_error(name)).splitlines():
            file, ln, col, rest = line.split(":", 3)
            assert file.endswith(f"{name}.yaml") and int(ln) >= 1 and int(col) >= 1, line
            assert rest.startswith(" ") and ": " in rest[1:], line


def test_all_problems_reported_in_one_pass_sorted_by_position() -> None:
    err = _error("many_problems")
    assert [(p.pos.line, p.pos.column, p.path) for p in err.problems] == [
        (3, 13, "nodes.r1.asn"),
        (4, 14, "nodes.r2.kind"),
        (6, 34, "links[0].delay"),
        (7, 10, "links[1][1]"),
    ]
    assert "did you mean 'bird'?" in err.problems[1].message


def test_duplicate_loopback_is_reported_once() -> None:
    assert len(_error("duplicate_loopback").problems) == 1
