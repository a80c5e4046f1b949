"""UPDATE errors (RFC 7606), max-prefix (RFC 4486), 2-octet AS peers (RFC 6793)."""

from __future__ import annotations

from ipaddress import IPv4Network

from bgp_harness import Net, Raw, attrs, connected, make, nbr, net

from routesim.wire.bgp import (
    AS_TRANS,
    As4Path,
    AsPath,
    Negotiated,
    Origin,
    UnknownAttribute,
    Update,
    decode_message,
)
from routesim.wire.bgp.framing import Framer

E1, E2 = "10.0.1.2", "10.0.2.2"
P = "192.0.2.0/24"


def one(max_prefix=None) -> Raw:
    r = Raw(
        make(
            65001,
            "1.1.1.1",
            [nbr(E1, 65002, passive=True, max_prefix=max_prefix), nbr(E2, 65003, passive=True)],
        )
    )
    r.establish(E1, 65002, "2.2.2.2")
    r.establish(E2, 65003, "3.3.3.3")
    return r


def test_treat_as_withdraw_on_malformed_origin():
    r = one()
    r.update(E1, [P], attrs(65002, next_hop=E1))
    assert net(P) in r.rib and P in r.advertised(E2)
    bad = attrs(65002, next_hop=E1)
    r.update(E1, [P], (Origin(7), *bad[1:]))  # RFC 7606 §7.1: invalid ORIGIN -> treat-as-withdraw
    assert net(P) not in r.rib and P not in r.advertised(E2)
    assert r.state(E1) == "Established" and r.notifications(E1) == []
    assert r.engine.counters["treat_as_withdraw"] == 1
    assert any("INVALID_ORIGIN_ATTRIBUTE" in m and "treat-as-withdraw" in m for m in r.logs())


def test_attribute_discard_keeps_the_route():
    r = one()
    bad_aggregator = UnknownAttribute(7, 0xC0, b"\x00\x01")  # AGGREGATOR of the wrong length
    r.update(E1, [P], attrs(65002, next_hop=E1, extra=(bad_aggregator,)))
    assert net(P) in r.rib and r.engine.counters["attribute_discard"] == 1
    assert r.state(E1) == "Established"


def test_session_reset_errors_send_the_update_notification():
    r = one()
    body = b"\x00\x00\x00\x00" + b"\x21\xc0"  # NLRI with prefix length 33: Invalid Network Field
    r.send(E1, b"\xff" * 16 + (19 + len(body)).to_bytes(2, "big") + b"\x02" + body)
    assert [(x.code, x.subcode) for x in r.notifications(E1)] == [(3, 10)]
    assert r.state(E1) == "Idle"


def test_max_prefix_sends_cease_6_1_and_flushes():
    r = one(max_prefix=3)
    r.update(E1, ["10.9.1.0/24", "10.9.2.0/24", "10.9.3.0/24"], attrs(65002, next_hop=E1))
    assert r.state(E1) == "Established" and len(r.rib) == 3
    r.update(E1, ["10.9.4.0/24"], attrs(65002, next_hop=E1))
    notes = [(x.code, x.subcode, x.data) for x in r.notifications(E1)]
    assert notes == [(6, 1, b"\x00\x01\x01\x00\x00\x00\x03")]  # AFI 1, SAFI 1, limit 3 (RFC 4486 §4)
    assert r.state(E1) == "Idle" and r.rib == {} and r.advertised(E2) == {}
    assert r.engine.counters["max_prefix"] == 1
    assert any("max-prefix 3" in m for m in r.logs())


def _decode_all(n: Net, src: str, dst: str, neg: Negotiated) -> list:
    framer = Framer()
    out = []
    for _, a, b, data in n.wire:
        if a == src and b == dst:
            out += [decode_message(m, neg) for m in framer.feed(data)]
    return out


def test_two_octet_peer_gets_as_trans_and_as4_path_and_sends_back():
    n = Net()
    n.add(
        "r1",
        make(65001, "1.1.1.1", [nbr("10.0.1.2", 4_200_000_002), nbr("10.0.2.2", 65003)]),
        ["10.0.1.1", "10.0.2.1"],
        igp_routes=[connected("10.0.1.0/24"), connected("10.0.2.0/24", "eth1")],
    )
    n.add(
        "r2",
        make(
            4_200_000_002,
            "2.2.2.2",
            [nbr("10.0.1.1", 65001)],
            announce=(net("198.51.100.0/24"),),
            announce_always=True,
        ),
        ["10.0.1.2"],
        igp_routes=[connected("10.0.1.0/24")],
    )
    n.add(
        "r3",
        make(
            65003,
            "3.3.3.3",
            [nbr("10.0.2.1", 65001, four_octet_as=False)],
            announce=(net("203.0.113.0/24"),),
            announce_always=True,
        ),
        ["10.0.2.2"],
        igp_routes=[connected("10.0.2.0/24")],
    )
    n.start()
    n.run(2.0)
    s13 = n.nodes["r1"].engine.peers[__import__("ipaddress").IPv4Address("10.0.2.2")].established
    assert s13 is not None and not s13.negotiated.four_octet_as
    updates = [m for m in _decode_all(n, "r1", "r3", Negotiated()) if isinstance(m, Update) and m.nlri]
    (upd,) = updates
    assert upd.as_path == AsPath.from_asns(65001, AS_TRANS)
    assert upd.get(17) == As4Path.from_asns(65001, 4_200_000_002)
    r3_route = n.nodes["r3"].rib[IPv4Network("198.51.100.0/24")]
    assert dict(r3_route.attrs)["as_path"] == "65001 4200000002"  # merged back (RFC 6793 §4.2.3)
    r2_route = n.nodes["r2"].rib[IPv4Network("203.0.113.0/24")]
    assert dict(r2_route.attrs)["as_path"] == "65001 65003"


def test_two_octet_speaker_configures_as_trans_for_a_four_octet_peer():
    from bgp_harness import Raw, ip

    from routesim.proto.bgp import TcpData
    from routesim.wire.bgp import KEEPALIVE, As4Path, Open, Update

    r = Raw(make(65003, "3.3.3.3", [nbr(E1, AS_TRANS, passive=True, four_octet_as=False)]))
    conn = r.connect(E1)
    r.handle(TcpData(conn, Open.for_speaker(4_200_000_002, 90, ip("2.2.2.2")).encode() + KEEPALIVE.encode()))
    assert r.state(E1) == "Established"
    old = Negotiated()  # we did not send the capability: 2-octet encoding on this session
    a = attrs(AS_TRANS, next_hop=E1)
    upd = Update((), (*a, As4Path.from_asns(4_200_000_002)), (__import__("bgp_harness").pfx(P),))
    r.send(E1, upd.encode(old))
    assert dict(r.rib[net(P)].attrs)["as_path"] == "4200000002"
