"""The typed ``ospf:`` section: resolved values, defaults and cross-router checks."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from routesim.topology import TopologyError, load_topology_text
from routesim.topology.model import OspfAuthSettings, OspfSettings
from routesim.topology.ospf import parse_area

A = IPv4Address

BASE = """\
timers: fast
nodes:
  r1: {ospf: OSPF, networks: [192.168.1.0/24]}
  r2: {ospf: true}
  r3: {ospf: true}
  h1: {kind: host, gateway: r1}
links:
  - {endpoints: [r1, r2], cost: 10}
lans:
  - {name: lan1, members: [r1, r2, r3]}
"""


def ospf_of(section: str, node: str = "r1") -> OspfSettings:
    t = load_topology_text(BASE.replace("OSPF", section))
    s = t.node(node).protocol("ospf")
    assert isinstance(s, OspfSettings)
    return s


def test_true_means_every_interface_in_the_backbone_with_profile_timers() -> None:
    s = ospf_of("true")
    assert [i.name for i in s.interfaces] == ["r2", "h1", "lan1", "stub0"]
    by = {i.name: i for i in s.interfaces}
    assert {i.area for i in s.interfaces} == {A(0)} and s.loopback_area == A(0) and not s.is_abr
    assert by["r2"].network_type == "point-to-point" and by["r2"].cost == 10  # the link's cost
    assert by["lan1"].network_type == "broadcast" and by["stub0"].network_type == "broadcast"
    assert by["h1"].network_type == "point-to-point"
    assert [i.name for i in s.interfaces if i.passive] == ["stub0"]  # host links: only if listed
    assert (by["r2"].hello, by["r2"].dead, by["r2"].retransmit, by["r2"].transmit_delay) == (1, 4, 2, 1)
    assert (by["lan1"].priority, s.redistribute, s.external_metric_type, s.external_metric, s.auth) == (
        1,
        (),
        2,
        20,
        None,
    )
    assert ospf_of("{}") == s and ospf_of("") == s  # `ospf: {}` and `ospf:` (null) alike


def test_rfc_timers_profile_gives_rfc_intervals() -> None:
    t = load_topology_text("nodes: {r1: {ospf: true}, r2: {ospf: true}}\nlinks: [[r1, r2]]\n")
    i = t.node("r1").protocol("ospf").interfaces[0]
    assert (i.hello, i.dead, i.retransmit, i.transmit_delay) == (10, 40, 5, 1)


def test_ospf_false_is_not_configured() -> None:
    t = load_topology_text(BASE.replace("OSPF", "false"))
    assert t.node("r1").protocol("ospf") is None


def test_per_interface_overrides_and_router_defaults() -> None:
    s = ospf_of(
        "{area: 0.0.0.0, priority: 0, passive: [r2], redistribute: static, external_metric_type: 1,"
        " external_metric: 50, interfaces: {h1: {cost: 7, network: broadcast, hello: 2s, dead: 8},"
        " lan1: {priority: 200, passive: false}, r2: {}}}"
    )
    by = {i.name: i for i in s.interfaces}
    assert list(by) == ["r2", "h1", "lan1"]  # node order, only the listed ones
    assert (by["h1"].cost, by["h1"].network_type, by["h1"].hello, by["h1"].dead) == (7, "broadcast", 2, 8)
    assert (by["r2"].priority, by["lan1"].priority) == (0, 200)
    assert by["r2"].passive and not by["lan1"].passive and not by["h1"].passive
    assert (s.redistribute, s.external_metric_type, s.external_metric) == (("static",), 1, 50)


def test_area_formats() -> None:
    assert parse_area(0) == A(0) and parse_area(1) == A("0.0.0.1") and parse_area("0.0.0.7") == A(7)
    assert parse_area("12") == A(12)
    for bad in ("1.2.3", -1, 2**32, True, None, "x"):
        with pytest.raises(ValueError):
            parse_area(bad)


def test_loopback_area_follows_area_or_the_single_interface_area() -> None:
    t = load_topology_text(
        """\
nodes:
  a: {ospf: {interfaces: {b: {area: 1}}}}
  b: {ospf: {area: 1}}
  c: {ospf: {area: 0, interfaces: {b: {area: 1}, d: {}}}}
  d: {ospf: true}
links: [[a, b], [c, b], [c, d]]
"""
    )
    assert t.node("a").protocol("ospf").loopback_area == A(1) and not t.node("a").protocol("ospf").is_abr
    assert t.node("b").protocol("ospf").loopback_area == A(1)
    c = t.node("c").protocol("ospf")
    assert c.loopback_area == A(0) and c.is_abr and c.areas == (A(0), A(1))


def test_auth_settings() -> None:
    assert ospf_of("{auth: {mode: md5, key: sixteen-octets!!, key_id: 9}}").auth == OspfAuthSettings(
        "md5", "sixteen-octets!!", 9
    )
    assert ospf_of("{auth: {mode: simple, key: eight-ch}}").auth == OspfAuthSettings("simple", "eight-ch", 1)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("{areas: 0}", "unknown ospf key 'areas'; expected one of area, interfaces"),
        ("{interfaces: {r2: {costs: 3}}}", "unknown ospf interface key 'costs'"),
        ("{interfaces: {r2: {network: nbma}}}", "unknown network type 'nbma'"),
        ("{interfaces: {stub0: {network: point-to-point}}}", "is a stub interface; point-to-point"),
        ("{interfaces: {r2: {hello: 1.5s}}}", "hello must be a whole number of seconds"),
        ("{interfaces: {r2: {hello: 4s}}}", "dead interval (4s) must exceed the hello interval (4s)"),
        ("{passive: [lan1], interfaces: [r2]}", "interface 'lan1' is passive but OSPF does not run on it"),
        ("{redistribute: [bgp]}", "unknown redistribute source 'bgp'"),
        ("{external_metric_type: 3}", "external_metric_type is 1 or 2, got 3"),
        ("{external_metric: 16777215}", "external_metric must be an integer in 0..16777214"),
        ("{auth: {mode: md5, key: seventeen-octets!}}", "md5 auth key is longer than 16 octets"),
        ("{auth: {mode: simple, key: abc, key_id: 2}}", "key_id applies to md5 authentication only"),
        ("{auth: {mode: sha}}", "bad auth mode 'sha'"),
    ],
)
def test_bad_sections(section: str, message: str) -> None:
    with pytest.raises(TopologyError) as err:
        load_topology_text(BASE.replace("OSPF", section), "t.yaml")
    text = str(err.value)
    assert message in text and text.startswith("t.yaml:3:"), text


def test_cost_override_beats_the_link_cost() -> None:
    text = "nodes: {r1: {ospf: {interfaces: {r2: {cost: 100}}}}, r2: {}}\nlinks: [{endpoints: [r1, r2], cost: 9}]\n"
    assert load_topology_text(text).node("r1").protocol("ospf").interfaces[0].cost == 100


def test_mismatch_checks_name_both_ends_and_skip_passive_or_non_ospf_ends() -> None:
    bad = BASE.replace("r3: {ospf: true}", "r3: {ospf: {interfaces: {lan1: {dead: 9s}}}}")
    with pytest.raises(TopologyError) as err:
        load_topology_text(bad.replace("OSPF", "true"), "m.yaml")
    (p,) = err.value.problems
    assert str(p) == (
        "m.yaml:5:41: nodes.r3.ospf.interfaces.lan1.dead: OSPF dead interval mismatch: r3.lan1 has 9s "
        "but r1.lan1 has 4s; they could never become adjacent"
    )
    load_topology_text(bad.replace("OSPF", "true").replace("{dead: 9s}", "{dead: 9s, passive: true}"))
    load_topology_text(BASE.replace("OSPF", "{interfaces: {r2: {hello: 2s, dead: 8s}}}").replace(
        "r2: {ospf: true}", "r2: {}"
    ))  # fmt: skip
    with pytest.raises(
        TopologyError,
        match=r"3:42: nodes\.r1\.ospf\.interfaces\.r2\.network: OSPF network type mismatch: r1\.r2 has broadcast",
    ):
        load_topology_text(BASE.replace("OSPF", "{interfaces: {r2: {network: broadcast}}}"))


def test_abr_with_a_backbone_interface_is_fine() -> None:
    s = ospf_of("{interfaces: {r2: {area: 0}, lan1: {}, h1: {area: 1}}}", "r1")
    assert s.is_abr and s.areas == (A(0), A(1))
