"""Connection collision detection (RFC 4271 §6.8, RFC 6286 §2.3)."""

from __future__ import annotations

import pytest
from bgp_harness import Net, ip, make, nbr

from routesim.proto.bgp.collision import close_locally_initiated


def pair(id1: str, id2: str) -> Net:
    n = Net()
    n.add("r1", make(65001, id1, [nbr("10.0.0.2", 65002)]), ["10.0.0.1"])
    n.add("r2", make(65002, id2, [nbr("10.0.0.1", 65001)]), ["10.0.0.2"])
    n.start()
    n.run(1.0)
    return n


@pytest.mark.parametrize(
    ("id1", "id2", "winner"), [("1.1.1.1", "2.2.2.2", "r2"), ("9.9.9.9", "2.2.2.2", "r1")]
)
def test_both_open_at_once_the_higher_router_id_connection_is_kept(id1, id2, winner):
    n = pair(id1, id2)
    s1 = n.nodes["r1"].engine.peers[ip("10.0.0.2")].established
    s2 = n.nodes["r2"].engine.peers[ip("10.0.0.1")].established
    assert s1 is not None and s2 is not None
    assert s1.conn == s2.conn  # both kept the same TCP connection
    initiator, _ = n.conns[s1.conn]
    assert initiator == winner
    assert len(n.conns) == 2 and len(n.closed) == 1  # the other one was closed
    cease = [(x.code, x.subcode) for x in n.notifications("r1") + n.notifications("r2")]
    assert (6, 7) in cease  # Cease / Connection Collision Resolution
    # Neither side reported the session down on the way.
    for name in ("r1", "r2"):
        assert [e.new for e in n.nodes[name].session_events()][-1] == "Established"
        assert "Idle" not in [e.new for e in n.nodes[name].session_events()][1:]


def test_new_connection_against_established_is_closed():
    n = pair("1.1.1.1", "2.2.2.2")
    established_conn = n.nodes["r1"].engine.peers[ip("10.0.0.2")].established.conn
    from routesim.proto.base import OpenConnection

    n._apply(n.nodes["r2"], [OpenConnection(ip("10.0.0.1"))])
    n.run(2.0)
    assert n.nodes["r1"].engine.peers[ip("10.0.0.2")].established.conn == established_conn
    assert n.nodes["r1"].state("10.0.0.2") == "Established"


def test_rule_unit():
    assert close_locally_initiated(ip("1.1.1.1"), ip("2.2.2.2"), 1, 2) is True
    assert close_locally_initiated(ip("3.3.3.3"), ip("2.2.2.2"), 1, 2) is False
    # Equal identifiers (eBGP): the larger AS keeps the connection it initiated (RFC 6286 §2.3).
    assert close_locally_initiated(ip("1.1.1.1"), ip("1.1.1.1"), 65001, 65002) is True
    assert close_locally_initiated(ip("1.1.1.1"), ip("1.1.1.1"), 65003, 65002) is False


def test_equal_identifiers_on_ebgp_still_converge():
    n = pair("1.1.1.1", "1.1.1.1")
    s1 = n.nodes["r1"].engine.peers[ip("10.0.0.2")].established
    s2 = n.nodes["r2"].engine.peers[ip("10.0.0.1")].established
    assert s1 is not None and s2 is not None and s1.conn == s2.conn
    assert n.conns[s1.conn][0] == "r2"  # AS 65002 > 65001
