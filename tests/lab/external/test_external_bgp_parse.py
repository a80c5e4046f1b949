"""BGP read-back parsers (birdc / vtysh / gobgp -j) on real captured output (data/README.md, BGP samples)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from routesim.lab.external import parse

DATA = Path(__file__).parent / "data"


def text(name: str) -> str:
    return (DATA / name).read_text()


def load(name: str):
    return json.loads(text(name))


def by_prefix_peer(routes: list[dict]) -> dict[tuple[str, str], dict]:
    return {(r["prefix"], r["peer"]): r for r in routes}


def test_bird_bgp() -> None:
    b = parse.bird_bgp(
        text("bgp-bird-show-protocols-all.txt"), text("bgp-bird-show-route-all.txt"), 4200000001, "10.255.0.1"
    )
    n = {x["address"]: x for x in b["neighbors"]}
    assert set(n) == {"10.0.0.2", "10.0.0.6", "10.9.9.9"}
    r2 = n["10.0.0.2"]
    assert (r2["remote_as"], r2["state"], r2["type"], r2["remote_id"]) == (
        4200000002,
        "Established",
        "ebgp",
        "10.255.0.2",
    )
    assert (r2["prefixes_received"], r2["prefixes_advertised"], r2["hold_time"], r2["keepalive"]) == (
        3,
        1,
        3,
        1,
    )
    assert r2["local_address"] == "10.0.0.1" and r2["description"] == "r2 AS4200000002"
    assert n["10.9.9.9"]["state"] == "Active" and n["10.9.9.9"]["remote_id"] is None
    assert b["summary"] == {
        "asn": 4200000001,
        "router_id": "10.255.0.1",
        "neighbors": 3,
        "established": 2,
        "prefixes_received": 6,
    }
    routes = by_prefix_peer(b["routes"])
    assert len(b["routes"]) == 6
    # through the provider r2: the import policy's MED and community, r2's double prepend, provider marker
    via_r2 = routes[("192.168.2.0/24", "ebgp_r2")]
    assert via_r2 == {
        "prefix": "192.168.2.0/24",
        "best": False,
        "next_hop": "10.0.0.2",
        "as_path": "4200000002 4200000002 4200000002",
        "local_pref": 100,
        "med": 10,
        "origin": "igp",
        "communities": "64500:100",
        "large_communities": "4200000001:1000:3",
        "peer": "ebgp_r2",
    }
    # the peer r3's path wins on LOCAL_PREF 150 despite its longer path
    via_r3 = routes[("192.168.2.0/24", "ebgp_r3")]
    assert via_r3["best"] and via_r3["local_pref"] == 150 and via_r3["as_path"] == "4200000003 4200000002"
    assert via_r3["med"] is None and via_r3["large_communities"] == "4200000001:1000:2"


def test_bird_local_routes_are_what_the_export_filters_take() -> None:
    b = parse.bird_bgp(
        text("bgp-bird-show-protocols-all.txt"),
        text("bgp-bird-show-route-all.txt"),
        4200000001,
        "10.255.0.1",
        {"192.168.1.0/24", "203.0.113.0/24"},
        {"connected"},
    )
    local = {r["prefix"]: r["origin"] for r in b["routes"] if r["peer"] == "local"}
    # 203.0.113.0/24 has no covering route; connected networks are redistributed (INCOMPLETE)
    assert local == {
        "192.168.1.0/24": "igp",
        "10.0.0.0/30": "incomplete",
        "10.0.0.4/30": "incomplete",
        "10.255.0.1/32": "incomplete",
    }


def test_bird_bgp_routes_are_ebgp_rib_rows() -> None:
    rib = parse.bird_routes(text("bgp-bird-show-route-all.txt"))
    bgp = [r for r in rib if r["protocol"] == "ebgp"]
    assert len(bgp) == 6 and all(r["distance"] == 20 for r in bgp)
    assert sum(r["selected"] for r in bgp) == 3


def test_frr_bgp() -> None:
    b = parse.frr_bgp(
        load("bgp-frr-show-bgp-summary.json"),
        load("bgp-frr-show-bgp-neighbors.json"),
        load("bgp-frr-show-bgp-ipv4-unicast.json"),
    )
    assert b["summary"] == {
        "asn": 4200000002,
        "router_id": "10.255.0.2",
        "neighbors": 3,
        "established": 2,
        "prefixes_received": 2,
    }
    n = {x["address"]: x for x in b["neighbors"]}
    assert [x["address"] for x in b["neighbors"]] == ["10.0.0.1", "10.0.0.10", "10.9.9.9"]
    assert (n["10.0.0.1"]["remote_as"], n["10.0.0.1"]["state"], n["10.0.0.1"]["remote_id"]) == (
        4200000001,
        "Established",
        "10.255.0.1",
    )
    assert (n["10.0.0.1"]["prefixes_received"], n["10.0.0.1"]["hold_time"], n["10.0.0.1"]["keepalive"]) == (
        1,
        3,
        1,
    )
    assert n["10.9.9.9"]["state"] == "Active" and n["10.9.9.9"]["remote_id"] is None
    routes = by_prefix_peer(b["routes"])
    # from the customer r1: LOCAL_PREF 200 by relationship; the route through r3 was rejected by policy
    r1 = routes[("192.168.1.0/24", "10.0.0.1")]
    assert (
        r1["best"]
        and r1["local_pref"] == 200
        and r1["as_path"] == "4200000001"
        and r1["next_hop"] == "10.0.0.1"
    )
    assert ("192.168.1.0/24", "10.0.0.10") not in routes
    own = routes[("198.51.100.0/24", "local")]  # announce_always
    assert own["best"] and own["next_hop"] is None and own["as_path"] == "" and own["origin"] == "igp"


def test_frr_bgp_rib_rows() -> None:
    rib = {(r["prefix"], r["protocol"]): r for r in parse.frr_routes(load("bgp-frr-show-ip-route.json"))}
    assert rib[("192.168.1.0/24", "ebgp")]["selected"] and rib[("192.168.1.0/24", "ebgp")]["distance"] == 20
    blackhole = rib[("198.51.100.0/24", "static")]
    assert blackhole["distance"] == 254 and blackhole["attrs"]["type"] == "blackhole"


def test_gobgp_bgp() -> None:
    b = parse.gobgp_bgp(
        load("bgp-gobgp-global.json"), load("bgp-gobgp-neighbor.json"), load("bgp-gobgp-global-rib.json")
    )
    assert b["summary"]["asn"] == 4200000003 and b["summary"]["established"] == 2
    n = {x["address"]: x for x in b["neighbors"]}
    assert (n["10.0.0.5"]["remote_as"], n["10.0.0.5"]["state"], n["10.0.0.5"]["type"]) == (
        4200000001,
        "Established",
        "ebgp",
    )
    assert n["10.0.0.9"]["prefixes_received"] == 3 and n["10.0.0.9"]["hold_time"] == 3
    assert n["10.0.0.9"]["local_address"] == "10.0.0.10" and n["10.0.0.9"]["prefixes_advertised"] is None
    routes = by_prefix_peer(b["routes"])
    from_r1 = routes[("192.168.1.0/24", "10.0.0.5")]
    # r1's own markers were removed on its export; r3's import marked the route "from a peer"
    assert from_r1["best"] and from_r1["as_path"] == "4200000001"
    assert (from_r1["local_pref"], from_r1["large_communities"]) == (150, "4200000003:1000:2")
    assert routes[("192.168.1.0/24", "10.0.0.9")]["large_communities"] == "4200000003:1000:0"
    assert routes[("192.168.2.0/24", "10.0.0.9")]["med"] == 0
    assert routes[("192.168.3.0/24", "local")]["next_hop"] is None
    rib = parse.gobgp_rib(load("bgp-gobgp-global-rib.json"), {"10.0.0.9"})
    assert {(r["prefix"], r["protocol"], r["distance"]) for r in rib if r["prefix"] == "192.168.2.0/24"} == {
        ("192.168.2.0/24", "ibgp", 200)
    }
    assert all(r["prefix"] != "192.168.3.0/24" for r in rib)  # our own: no RIB entry


def test_gobgp_log_error() -> None:
    line = '{"Error":"While parsing config: (29, 1): unterminated array","level":"fatal","msg":"Can\'t read"}'
    assert (
        parse.gobgp_log_error("noise\n" + line)
        == "Can't read: While parsing config: (29, 1): unterminated array"
    )
    assert parse.gobgp_log_error('{"level":"info","msg":"ok"}') is None


_HEAD = "ebgp_x    BGP        ---        up     08:49:33.672  Established\n"
_KEYS = st.sampled_from(
    ["BGP state", "Neighbor AS", "Local AS", "Hold timer", "Keepalive timer", "Routes", "X"]
)


_VALUES = st.text(st.characters(blacklist_categories=("Cc", "Zl", "Zp")))  # one line each


@given(st.lists(st.tuples(_KEYS, _VALUES), max_size=8), st.text())
def test_bird_bgp_neighbors_never_raise(lines: list[tuple[str, str]], noise: str) -> None:
    body = "".join(f"    {k}: {v}\n" for k, v in lines)
    (n,) = parse.bird_bgp_neighbors(_HEAD + body)
    assert n["protocol_name"] == "ebgp_x"
    parse.bird_bgp_neighbors(noise)


def test_bgp_state_spelling() -> None:
    assert [parse.bgp_state(s) for s in ("established", "OpenSent", "Open Confirm", "idle")] == [
        "Established",
        "OpenSent",
        "OpenConfirm",
        "Idle",
    ]
