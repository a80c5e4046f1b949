"""Route reflection (RFC 4456): client/non-client rules, ORIGINATOR_ID, CLUSTER_LIST, loops."""

from __future__ import annotations

from bgp_harness import Net, Raw, attrs, connected, ip, make, nbr

from routesim.proto.bgp.rr_attrs import (
    cluster_list_attribute,
    decode_cluster_list,
    originator_id_attribute,
)

LAN = [connected("10.0.0.0/24")]
ADDR = {"rr": "10.0.0.1", "c1": "10.0.0.2", "c2": "10.0.0.3", "n1": "10.0.0.4", "n2": "10.0.0.5"}
RID = {"rr": "1.1.1.1", "c1": "2.2.2.2", "c2": "3.3.3.3", "n1": "4.4.4.4", "n2": "5.5.5.5"}


def lab() -> Net:
    n = Net()
    clients = {"c1", "c2"}
    n.add(
        "rr",
        make(
            65000,
            RID["rr"],
            [nbr(ADDR[x], 65000, route_reflector_client=x in clients) for x in ("c1", "c2", "n1", "n2")],
            cluster_id=ip("9.9.9.9"),
        ),
        [ADDR["rr"]],
        igp_routes=LAN,
    )
    for i, x in enumerate(("c1", "c2", "n1", "n2")):
        from routesim.proto.base import NextHop  # noqa: F401

        n.add(
            x,
            make(
                65000,
                RID[x],
                [nbr(ADDR["rr"], 65000)],
                announce=(__import__("ipaddress").IPv4Network(f"203.0.{i}.0/24"),),
                announce_always=True,
            ),
            [ADDR[x]],
            igp_routes=LAN,
        )
    n.start()
    n.run(2.0)
    return n


def received(n: Net, node: str) -> dict[str, dict]:
    return {row["prefix"]: row for row in n.nodes[node].engine.inspect_table("rib_in", ADDR["rr"])}


def test_client_routes_are_reflected_to_everyone_with_originator_and_cluster_list():
    n = lab()
    for other in ("c2", "n1", "n2"):
        row = received(n, other)["203.0.0.0/24"]  # c1's prefix
        assert row["originator_id"] == RID["c1"] and row["cluster_list"] == "9.9.9.9"
        assert row["next_hop"] == ADDR["c1"]  # reflection keeps NEXT_HOP
    assert "203.0.0.0/24" not in received(n, "c1")  # not back to its sender


def test_non_client_routes_go_to_clients_only():
    n = lab()
    assert "203.0.2.0/24" in received(n, "c1") and "203.0.2.0/24" in received(n, "c2")  # n1's prefix
    assert "203.0.2.0/24" not in received(n, "n2")
    assert set(received(n, "n1")) == {"203.0.0.0/24", "203.0.1.0/24"}  # clients' prefixes only


def test_reflected_routes_are_installed_as_ibgp_by_clients():
    n = lab()
    route = n.nodes["c2"].rib[__import__("ipaddress").IPv4Network("203.0.2.0/24")]
    assert route.protocol.value == "ibgp" and dict(route.attrs)["peer"] == ADDR["rr"]


def test_loop_detection_by_originator_id_and_cluster_list():
    r = Raw(
        make(
            65000,
            "1.1.1.1",
            [nbr("10.0.1.2", 65000, passive=True, route_reflector_client=True)],
            cluster_id=ip("9.9.9.9"),
        )
    )
    r.establish("10.0.1.2", 65000, "2.2.2.2")
    r.update(
        "10.0.1.2",
        ["192.0.2.0/24"],
        attrs(65009, next_hop="10.0.1.2", lp=100, extra=(originator_id_attribute(ip("1.1.1.1")),)),
    )
    r.update(
        "10.0.1.2",
        ["198.51.100.0/24"],
        attrs(
            65009,
            next_hop="10.0.1.2",
            lp=100,
            extra=(cluster_list_attribute((ip("8.8.8.8"), ip("9.9.9.9"))),),
        ),
    )
    r.update("10.0.1.2", ["203.0.113.0/24"], attrs(65009, next_hop="10.0.1.2", lp=100))
    assert {str(p) for p in r.rib} == {"203.0.113.0/24"}
    assert r.engine.counters["rejected_loop"] == 2


def test_malformed_cluster_list_is_treat_as_withdraw():
    from routesim.wire.bgp import UnknownAttribute

    r = Raw(make(65000, "1.1.1.1", [nbr("10.0.1.2", 65000, passive=True)]))
    r.establish("10.0.1.2", 65000, "2.2.2.2")
    r.update("10.0.1.2", ["192.0.2.0/24"], attrs(65009, next_hop="10.0.1.2", lp=100))
    r.update(
        "10.0.1.2",
        ["192.0.2.0/24"],
        attrs(65009, next_hop="10.0.1.2", lp=100, extra=(UnknownAttribute(10, 0x80, b"\x01\x02\x03"),)),
    )
    assert r.rib == {} and r.state("10.0.1.2") == "Established"
    assert decode_cluster_list(b"\x01\x02\x03\x04") == (ip("1.2.3.4"),)
