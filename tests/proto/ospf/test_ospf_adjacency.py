"""Adjacencies end to end: Hello checks (§10.5), DD exchange (§10.6, §10.8), real captured Hellos."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface
from pathlib import Path

import pytest
from ospf_harness import Net, engine, hops, iface

from routesim.proto.base import PacketIn, Send, SessionEvent
from routesim.proto.ospf import OspfAuth
from routesim.wire.ospf import DatabaseDescription, DdFlags, Hello, LinkStateUpdate, encode_packet
from routesim.wire.ospf.header import ALL_SPF_ROUTERS

DATA = Path(__file__).resolve().parents[2] / "data" / "ospf"


def pair(kw1: dict | None = None, kw2: dict | None = None, **eng_kw) -> Net:
    net = Net()
    net.add(
        "r1",
        engine(
            "1.1.1.1",
            iface("e0", "10.0.12.1/30", network_type="point-to-point", **(kw1 or {})),
            iface("lo", "10.1.0.1/24", passive=True),
            **eng_kw,
        ),
    )
    net.add(
        "r2",
        engine(
            "2.2.2.2",
            iface("e0", "10.0.12.2/30", network_type="point-to-point", **(kw2 or {})),
            iface("lo", "10.2.0.1/24", passive=True),
            seed=2,
            **eng_kw,
        ),
    )
    net.link(("r1", "e0"), ("r2", "e0"))
    net.start()
    return net


def test_p2p_full_and_routes() -> None:
    net = pair()
    net.run(15)
    assert net.states("r1") == {"2.2.2.2": "Full"}
    assert net.states("r2") == {"1.1.1.1": "Full"}
    r1 = net.routes("r1")
    assert hops(r1["10.2.0.0/24"]) == {("10.0.12.2", "e0")}
    assert r1["10.2.0.0/24"].metric == 20
    assert dict(r1["10.2.0.0/24"].attrs) == {"path_type": "intra", "area": "0.0.0.0"}
    assert hops(net.routes("r2")["10.1.0.0/24"]) == {("10.0.12.1", "e0")}
    # the neighbor went through every state of §10.3 in order, each with a SessionEvent
    path = [(e.old, e.new) for _, r, e in net.session_events("r1")]
    assert path == [
        ("Down", "Init"),
        ("Init", "ExStart"),
        ("ExStart", "Exchange"),
        ("Exchange", "Loading"),
        ("Loading", "Full"),
    ] or path == [("Down", "Init"), ("Init", "ExStart"), ("ExStart", "Exchange"), ("Exchange", "Full")]
    # the higher Router ID is master (§10.8)
    assert not net.engines["r1"].ifaces["e0"].neighbors[IPv4Address("10.0.12.2")].master
    assert net.engines["r2"].ifaces["e0"].neighbors[IPv4Address("10.0.12.1")].master
    # both databases hold the same two router-LSAs
    db = lambda r: {(d["type"], d["lsid"], d["seq"]) for d in net.engines[r].inspect(net.now)["database"]}  # noqa: E731
    assert db("r1") == db("r2") and len(db("r1")) == 2


def test_inactivity_timer_and_route_withdrawal() -> None:
    net = pair()
    net.run(15)
    net.segments[0].up = False
    t0 = net.now
    net.run_for(10)
    ev = [(t, e) for t, r, e in net.session_events("r1") if e.new == "Down"]
    assert len(ev) == 1 and ev[0][1].reason == "InactivityTimer"
    assert t0 + 3 <= ev[0][0] <= t0 + 4.02  # RouterDeadInterval 4 after the last Hello (+ delay)
    assert "10.2.0.0/24" not in net.routes("r1")
    withdrawn = {p for rc in net.rib_changes("r1") for p, _ in rc.withdrawals}
    assert IPv4Interface("10.2.0.1/24").network in withdrawn
    # the link comes back: adjacency and route return
    net.segments[0].up = True
    net.run_for(15)
    assert net.states("r1") == {"2.2.2.2": "Full"}
    assert "10.2.0.0/24" in net.routes("r1")


@pytest.mark.parametrize("lose", [0, 1, 2, 3])
def test_dd_exchange_survives_lost_packets(lose: int) -> None:
    """Lose the first ``lose`` DD packets in each direction: retransmission (master) and duplicate
    answers (slave) still bring the adjacency to Full (§10.8)."""
    lost: dict[str, int] = {"r1": 0, "r2": 0}

    def drop(now, sender, receiver, pkt) -> bool:
        if isinstance(pkt.body, DatabaseDescription) and lost[sender] < lose:
            lost[sender] += 1
            return True
        return False

    net = pair()
    net.drop = drop
    net.run(40)
    assert net.states("r1") == {"2.2.2.2": "Full"} and net.states("r2") == {"1.1.1.1": "Full"}
    assert sum(lost.values()) == 2 * lose
    if lose:
        assert net.engines["r2"].counters["dd_retransmits"] >= 1  # the master resent
    assert "10.2.0.0/24" in net.routes("r1")


def test_slave_answers_duplicate_dd_with_its_last_packet() -> None:
    """Drop the slave's replies once: the master retransmits; the slave (already in Exchange or
    beyond) sees a duplicate and resends its last DD instead of restarting (§10.6)."""
    dropped = []

    def drop(now, sender, receiver, pkt) -> bool:
        if sender == "r1" and isinstance(pkt.body, DatabaseDescription) and not pkt.body.flags & DdFlags.I:
            if len(dropped) < 2:
                dropped.append(pkt)
                return True
        return False

    net = pair()
    net.drop = drop
    net.run(40)
    assert net.states("r1") == {"2.2.2.2": "Full"}
    assert net.engines["r1"].counters["dd_duplicates"] >= 1
    assert not any(e.new == "ExStart" and e.old != "Init" for _, _, e in net.session_events())


def test_mtu_mismatch_keeps_exstart() -> None:
    net = pair(kw1={"mtu": 1500}, kw2={"mtu": 1400})
    net.run(30)
    # r1 announces 1500 > r2's 1400: r2 rejects r1's DDs (§10.6), neither reaches Exchange
    assert net.states("r2") == {"1.1.1.1": "ExStart"}
    assert net.engines["r2"].drops["mtu-mismatch"] > 0
    assert "10.1.0.0/24" not in net.routes("r2")


@pytest.mark.parametrize(
    ("kw2", "reason"),
    [
        ({"hello_interval": 2}, "hello-interval-mismatch"),
        ({"dead_interval": 8}, "dead-interval-mismatch"),
        ({"area": IPv4Address("0.0.0.1")}, "area-mismatch"),
        ({"auth": OspfAuth("simple", "secret")}, "auth"),
    ],
)
def test_hello_mismatches_are_dropped_and_counted(kw2, reason) -> None:
    net = pair(kw2=kw2)
    net.run(10)
    assert net.states("r1") == {} and net.states("r2") == {}
    assert net.engines["r1"].drops[reason] > 0


def test_mask_mismatch_on_broadcast() -> None:
    net = Net()
    net.add("r1", engine("1.1.1.1", iface("e0", "10.0.0.1/24")))
    net.add("r2", engine("2.2.2.2", iface("e0", "10.0.0.2/25")))
    net.link(("r1", "e0"), ("r2", "e0"))
    net.start()
    net.run(10)
    assert net.engines["r1"].drops["hello-mask-mismatch"] > 0
    assert net.states("r1") == {}


@pytest.mark.parametrize("mode", ["simple", "md5"])
def test_authenticated_adjacency(mode: str) -> None:
    auth = OspfAuth(mode, "s3cret", key_id=3)  # type: ignore[arg-type]
    net = pair(kw1={"auth": auth}, kw2={"auth": auth})
    net.run(15)
    assert net.states("r1") == {"2.2.2.2": "Full"}
    assert sum(net.engines["r1"].drops.values()) == 0


def test_md5_replay_is_dropped() -> None:
    auth = OspfAuth("md5", "s3cret", key_id=3)
    net = pair(kw1={"auth": auth}, kw2={"auth": auth})
    net.run(15)
    old = encode_packet("2.2.2.2", "0.0.0.0", LinkStateUpdate(()), auth=auth.wire(), crypto_seq=1)
    net.feed("r1", PacketIn("e0", IPv4Address("10.0.12.2"), old, dst=ALL_SPF_ROUTERS))
    assert net.engines["r1"].drops["crypto-sequence"] == 1


def test_own_router_id_and_garbage_are_dropped_not_raised() -> None:
    net = pair()
    r1 = net.engines["r1"]
    hello = Hello(IPv4Address("255.255.255.252"), 1, 2, 1, 4, IPv4Address(0), IPv4Address(0))
    own = encode_packet("1.1.1.1", "0.0.0.0", hello)
    net.feed("r1", PacketIn("e0", IPv4Address("10.0.12.2"), own, dst=ALL_SPF_ROUTERS))
    net.feed("r1", PacketIn("e0", IPv4Address("10.0.12.2"), b"\x02\x01garbage", dst=ALL_SPF_ROUTERS))
    net.feed("r1", PacketIn("nope", IPv4Address("10.0.12.2"), own))
    assert r1.drops["own-router-id"] == 1
    assert r1.drops["truncated"] + r1.drops["length"] == 1
    assert r1.drops["unknown-interface"] == 1


def _load_hex(name: str) -> tuple[bytes, dict[str, str]]:
    fields, parts = {}, []
    for line in (DATA / name).read_text().splitlines():
        if line.startswith("# tshark "):
            k, _, v = line.removeprefix("# tshark ").partition(": ")
            fields[k] = v
        elif not line.startswith("#"):
            parts.append(line.strip())
    return bytes.fromhex("".join(parts)), fields


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in DATA.glob("*-hello.hex")),
)
def test_real_bird_frr_hello_makes_an_init_neighbor(name: str) -> None:
    """A captured BIRD/FRR Hello is accepted: the sender becomes a neighbor in Init (§10.5)."""
    data, f = _load_hex(name)
    auth = None
    if "bird-auth-md5" in name:
        auth = OspfAuth("md5", "routesim-key", key_id=7)
    elif "bird-auth-simple" in name:
        auth = OspfAuth("simple", "s3cret")  # extract_captures.py: the BIRD config used
    our = iface(
        "eth0",
        f"10.0.12.99/{IPv4Interface('0.0.0.0/' + f['ospf.hello.network_mask']).network.prefixlen}",
        hello_interval=int(f["ospf.hello.hello_interval"]),
        dead_interval=int(f["ospf.hello.router_dead_interval"]),
        auth=auth,
    )
    eng = engine("192.0.2.99", our)
    eng.start(0.0)
    src = IPv4Address(f["ospf.srcrouter"])  # in these captures Router ID = interface address
    out = eng.handle(PacketIn("eth0", src, data, dst=ALL_SPF_ROUTERS), 1.0)
    assert sum(eng.drops.values()) == 0, eng.drops
    nbrs = eng.inspect(1.0)["neighbors"]
    assert [(n["router_id"], n["state"]) for n in nbrs] == [(f["ospf.srcrouter"], "Init")]
    assert SessionEvent("ospf", f["ospf.srcrouter"], "Down", "Init", "HelloReceived") in out


def _db(net: Net, r: str) -> set:
    return {
        (d["area"], d["type"], d["lsid"], d["adv_router"], d["seq"])
        for d in net.engines[r].inspect(net.now)["database"]
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_multi_packet_exchange_under_random_loss(seed: int) -> None:
    """A small MTU splits the database into many DD, LSR and LSU packets; 25 % of everything but
    Hellos is lost at random. The adjacency still becomes Full with identical databases."""
    import random

    from routesim.proto.base import NextHop, RibChanged, Route, RouteProtocol

    rng = random.Random(seed)
    net = Net()
    statics = RibChanged(
        tuple(
            Route(
                IPv4Interface(f"192.0.{k}.0/24").network,
                RouteProtocol.STATIC,
                0,
                frozenset({NextHop(None, "x")}),
            )
            for k in range(40)
        )
    )
    small = {"mtu": 200, "network_type": "point-to-point"}
    net.add("r1", engine("1.1.1.1", iface("e0", "10.0.12.1/30", **small)))
    net.add(
        "r2",
        engine(
            "2.2.2.2", iface("e0", "10.0.12.2/30", **small), redistribute=frozenset({RouteProtocol.STATIC})
        ),
    )
    net.link(("r1", "e0"), ("r2", "e0"))
    net.drop = lambda now, s, r, pkt: not isinstance(pkt.body, Hello) and rng.random() < 0.25
    net.start()
    net.feed("r2", statics)  # r2 originates its externals before the adjacency forms
    net.run(120)
    assert net.states("r1") == {"2.2.2.2": "Full"} and net.states("r2") == {"1.1.1.1": "Full"}
    assert _db(net, "r1") == _db(net, "r2")
    assert len([k for k in _db(net, "r1") if k[1] == 5]) == 40
    assert len(net.routes("r1")) == 41
    sent = [decode(a) for _, r, a in net.trace if r == "r2" and type(a).__name__ == "Send"]
    assert sum(isinstance(b, DatabaseDescription) for b in sent) >= 8  # 40+ headers, 6 per DD
    assert len(net.dropped) >= 5  # some of them were lost


def decode(send):
    from routesim.wire.ospf import decode_packet

    return decode_packet(send.data).body


def test_a_new_neighbor_that_does_not_list_us_gets_a_hello_at_once() -> None:
    r1 = engine("1.1.1.1", iface("e0", "10.0.12.1/30", network_type="point-to-point"))
    r1.start(0.0)
    hello = Hello(IPv4Address("255.255.255.252"), 1, 2, 1, 4, IPv4Address(0), IPv4Address(0))
    data = encode_packet("2.2.2.2", "0.0.0.0", hello)
    out = r1.handle(PacketIn("e0", IPv4Address("10.0.12.2"), data, dst=ALL_SPF_ROUTERS), 0.3)
    (reply,) = [decode(a) for a in out if isinstance(a, Send)]
    assert isinstance(reply, Hello) and reply.neighbors == (IPv4Address("2.2.2.2"),)
    # once per new neighbor: its next Hello (still one-way) waits for the periodic one
    out = r1.handle(PacketIn("e0", IPv4Address("10.0.12.2"), data, dst=ALL_SPF_ROUTERS), 0.6)
    assert not [a for a in out if isinstance(a, Send)]
    assert r1.counters["hello_replies"] == 1


def test_two_routers_started_apart_reach_full_before_either_periodic_hello() -> None:
    net = Net()
    net.add("r1", engine("1.1.1.1", iface("e0", "10.0.12.1/30", network_type="point-to-point")))
    net.add("r2", engine("2.2.2.2", iface("e0", "10.0.12.2/30", network_type="point-to-point"), seed=2))
    net.link(("r1", "e0"), ("r2", "e0"))
    net.apply("r1", net.engines["r1"].start(0.0))
    net.run(0.05)  # r1's first Hello is lost: r2 is not running yet
    net.apply("r2", net.engines["r2"].start(net.now))
    net.run(0.5)  # the periodic Hellos would only go at t=1.0 (r1) and t=1.05 (r2)
    assert net.states("r1") == {"2.2.2.2": "Full"}
    assert net.states("r2") == {"1.1.1.1": "Full"}


def test_master_answers_the_peers_initial_dd_soon_when_its_own_went_unheard() -> None:
    """The master-to-be's first I|M|MS is lost (as when the peer was still in 2-Way on a LAN and
    ignored it, §10.6). When the peer's own I|M|MS arrives, the master retransmits after an eighth
    of RxmtInterval instead of a whole one (§10.8 leaves the master's retransmission to it), and
    only once: the exchange then runs as usual."""
    lost = []

    def drop(now, sender, receiver, pkt) -> bool:
        if sender == "r2" and isinstance(pkt.body, DatabaseDescription) and not lost:
            lost.append(now)
            return True
        return False

    net = pair()  # r2 (2.2.2.2) is the master
    net.drop = drop
    net.run(10)
    assert lost and net.states("r1") == {"2.2.2.2": "Full"} and net.states("r2") == {"1.1.1.1": "Full"}
    full = max(t for t, _, e in net.session_events() if e.new == "Full")
    rxmt = 2.0  # FAST retransmit_interval
    assert full - lost[0] < rxmt / 2, (lost[0], full)  # without the early answer: one RxmtInterval
    assert net.engines["r2"].counters["dd_retransmits"] == 1
    assert net.engines["r2"].counters["dd_ignored"] == 1  # r1's I|M|MS, which prompted it


def test_crossing_initial_dds_cost_no_extra_packets() -> None:
    """Both routers enter ExStart together: their I|M|MS cross; the slave's answer to the master's
    comes before the early retransmission would, so none is sent."""
    net = pair()
    net.run(10)
    assert net.states("r2") == {"1.1.1.1": "Full"}
    assert net.engines["r2"].counters["dd_retransmits"] == 0
    dds = [
        a
        for _, r, a in net.trace
        if r == "r2" and isinstance(a, Send) and isinstance(decode(a), DatabaseDescription)
    ]
    assert len(dds) == len({decode(a).dd_sequence_number for a in dds})  # no DD was sent twice
