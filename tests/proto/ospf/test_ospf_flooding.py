"""Flooding (RFC 2328 §13), aging and flushing (§14), refresh and self-originated LSAs (§12.4, §13.4)."""

from __future__ import annotations

import dataclasses
import itertools
from ipaddress import IPv4Address, IPv4Network

import pytest
from ospf_harness import FAST_TIMERS, Net, engine, iface

from routesim.proto.base import NextHop, PacketIn, RibChanged, Route, RouteProtocol, Send
from routesim.proto.ospf import OspfTimers
from routesim.proto.ospf.lsdb import compare_instances
from routesim.wire.ospf import (
    AsExternalLsa,
    LinkStateAck,
    LinkStateUpdate,
    LsaHeader,
    LsType,
    Options,
    decode_packet,
    encode_packet,
)
from routesim.wire.ospf.header import ALL_SPF_ROUTERS

P2P = {"network_type": "point-to-point"}
BACKBONE = IPv4Address(0)
STATIC = frozenset({RouteProtocol.STATIC})


def line(n: int = 3, timers: OspfTimers = FAST_TIMERS) -> Net:
    """r1 - r2 - ... - rn over p2p links; r1 redistributes statics."""
    net = Net()
    for i in range(1, n + 1):
        ifs = []
        if i > 1:
            ifs.append(iface("l", f"10.0.{i - 1}.2/30", **P2P))
        if i < n:
            ifs.append(iface("r", f"10.0.{i}.1/30", **P2P))
        kw = {"redistribute": STATIC} if i == 1 else {}
        net.add(f"r{i}", engine(f"{i}.{i}.{i}.{i}", *ifs, seed=i, timers=timers, **kw))
    for i in range(1, n):
        net.link((f"r{i}", "r"), (f"r{i + 1}", "l"))
    net.start()
    return net


def static(*prefixes: str) -> RibChanged:
    return RibChanged(
        tuple(
            Route(IPv4Network(p), RouteProtocol.STATIC, 0, frozenset({NextHop(None, "x")})) for p in prefixes
        )
    )


EXT_KEY = (5, IPv4Address("192.0.2.0"), IPv4Address("1.1.1.1"))


def test_new_lsa_floods_along_the_line_and_is_acknowledged() -> None:
    net = line(4)
    net.run(20)
    net.feed("r1", static("192.0.2.0/24"))
    net.run_for(5)
    for r in ("r2", "r3", "r4"):
        assert net.engines[r].lsdb.get(None, EXT_KEY) is not None, r
        assert "192.0.2.0/24" in net.routes(r)
    # nothing left to retransmit anywhere
    for eng in net.engines.values():
        assert all(not n.retransmit for i in eng.ifaces.values() for n in i.neighbors.values())


def test_lost_acks_cause_retransmission_until_acknowledged() -> None:
    lost = []

    def drop(now, sender, receiver, pkt) -> bool:
        if sender == "r2" and receiver == "r1" and isinstance(pkt.body, LinkStateAck) and len(lost) < 2:
            lost.append(now)
            return True
        return False

    net = line(2)
    net.run(20)
    net.drop = drop
    before = net.engines["r1"].counters["lsu_retransmits"]
    net.feed("r1", static("192.0.2.0/24"))
    net.run_for(15)
    r1 = net.engines["r1"]
    assert len(lost) == 2
    assert r1.counters["lsu_retransmits"] - before >= 2  # RxmtInterval 2 s, twice
    nbr = r1.ifaces["r"].neighbors[IPv4Address("10.0.1.2")]
    assert nbr.retransmit == {} and nbr.lsu_rxmt_at is None
    # the receiver saw duplicates and acknowledged them directly (§13 (7))
    assert net.engines["r2"].lsdb.get(None, EXT_KEY) is not None


def test_lost_update_is_retransmitted() -> None:
    lost = []

    def drop(now, sender, receiver, pkt) -> bool:
        if sender == "r1" and isinstance(pkt.body, LinkStateUpdate) and not lost:
            if any(lsa.header.key == EXT_KEY for lsa in pkt.body.lsas):
                lost.append(now)
                return True
        return False

    net = line(2)
    net.run(20)
    net.drop = drop
    net.feed("r1", static("192.0.2.0/24"))
    net.run_for(1.5)
    assert net.engines["r2"].lsdb.get(None, EXT_KEY) is None
    net.run_for(3)
    assert lost and net.engines["r2"].lsdb.get(None, EXT_KEY) is not None


def test_withdrawal_flushes_with_maxage_everywhere() -> None:
    net = line(3)
    net.run(20)
    net.feed("r1", static("192.0.2.0/24"))
    net.run_for(5)
    assert "192.0.2.0/24" in net.routes("r3")
    net.feed("r1", static())
    # the flushed LSA is installed at MaxAge and flooded (§14.1)
    entry = net.engines["r1"].lsdb.get(None, EXT_KEY)
    assert entry is not None and entry.lsa.header.age == 3600
    net.run_for(5)
    for r in ("r1", "r2", "r3"):
        assert net.engines[r].lsdb.get(None, EXT_KEY) is None, r  # removed once acknowledged
    assert "192.0.2.0/24" not in net.routes("r3")
    assert any(IPv4Network("192.0.2.0/24") in {p for p, _ in rc.withdrawals} for rc in net.rib_changes("r3"))


def test_refresh_and_aging_out_of_a_dead_routers_lsas() -> None:
    timers = dataclasses.replace(FAST_TIMERS, lsrefresh=60, maxage=120)
    net = line(3, timers=timers)
    net.run(20)
    net.feed("r1", static("192.0.2.0/24"))
    net.run_for(5)
    seq0 = net.engines["r3"].lsdb.get(None, EXT_KEY).lsa.header.ls_sequence_number
    net.run_for(100)
    # r1 refreshed its LSAs at LSRefreshTime: nothing aged out in a healthy network
    entry = net.engines["r3"].lsdb.get(None, EXT_KEY)
    assert entry is not None and entry.lsa.header.ls_sequence_number > seq0
    assert entry.age(net.now, 120) < 60
    # r1 vanishes silently (its link is cut): its LSAs stay until they reach MaxAge, then go
    net.segments[0].up = False
    net.run_for(60)
    assert net.engines["r3"].lsdb.get(None, EXT_KEY) is not None
    net.run_for(130)
    assert net.engines["r3"].lsdb.get(None, EXT_KEY) is None
    assert net.engines["r3"].lsdb.get(BACKBONE, (1, IPv4Address("1.1.1.1"), IPv4Address("1.1.1.1"))) is None
    assert net.engines["r3"].counters["lsa_flushed"] >= 2


def test_self_originated_lsa_after_restart_gets_a_higher_sequence() -> None:
    """§13.4: r1 restarts; r2 still holds r1's old router-LSA with a higher sequence number. r1
    must end with a newer instance than the old one, its current contents, everywhere."""
    net = line(2)
    net.run(20)
    key = (1, IPv4Address("1.1.1.1"), IPv4Address("1.1.1.1"))
    # age r1's LSAs through a few instances so that the old sequence number is well above initial
    for k in range(3):
        net.feed("r1", static(f"192.0.{k}.0/24"))
        net.run_for(3)
    old = net.engines["r2"].lsdb.get(BACKBONE, key).lsa.header
    # restart r1: a fresh engine with the same configuration
    net.apply("r1", net.engines["r1"].stop(net.now))
    fresh = engine("1.1.1.1", *net.engines["r1"].config.interfaces, seed=9)
    net.engines["r1"] = fresh
    net.timers["r1"] = {}
    net.apply("r1", fresh.start(net.now))
    net.run_for(30)
    assert net.states("r1") == {"2.2.2.2": "Full"}
    mine = fresh.lsdb.get(BACKBONE, key).lsa
    theirs = net.engines["r2"].lsdb.get(BACKBONE, key).lsa
    assert mine.header.ls_sequence_number > old.ls_sequence_number
    assert compare_instances(mine.header, theirs.header) == 0
    # the stale AS-external-LSAs of the previous life were flushed (fresh r1 has no statics)
    assert not [k for _, k, _ in net.engines["r2"].lsdb if k[0] == 5]


def test_older_instance_is_answered_with_ours_and_duplicate_acked_directly() -> None:
    net = line(2)
    net.run(20)
    net.feed("r1", static("192.0.2.0/24"))
    net.run_for(5)
    r2 = net.engines["r2"]
    current = r2.lsdb.get(None, EXT_KEY).lsa
    stale = dataclasses.replace(
        current,
        header=dataclasses.replace(current.header, ls_sequence_number=current.header.ls_sequence_number - 1),
    ).sealed()
    src = IPv4Address("10.0.1.1")
    pkt = encode_packet("1.1.1.1", "0.0.0.0", LinkStateUpdate((stale,)))
    out = r2.handle(PacketIn("l", src, pkt, dst=ALL_SPF_ROUTERS), net.now + 0.01)
    sent = [decode_packet(a.data).body for a in out if isinstance(a, Send)]
    back = [b for b in sent if isinstance(b, LinkStateUpdate)]
    assert back and back[0].lsas[0].header.ls_sequence_number == current.header.ls_sequence_number  # §13 (8)
    # the same instance again is a duplicate: a direct acknowledgment (§13 (7))
    pkt = encode_packet("1.1.1.1", "0.0.0.0", LinkStateUpdate((current,)))
    out = r2.handle(PacketIn("l", src, pkt, dst=ALL_SPF_ROUTERS), net.now + 0.02)
    acks = [decode_packet(a.data).body for a in out if isinstance(a, Send)]
    assert [type(b) for b in acks] == [LinkStateAck]
    assert acks[0].lsa_headers[0].key == EXT_KEY


def test_bad_lsa_checksum_is_discarded() -> None:
    net = line(2)
    net.run(20)
    lsa = AsExternalLsa(
        LsaHeader(
            0, Options.E, LsType.AS_EXTERNAL, IPv4Address("203.0.113.0"), IPv4Address("1.1.1.1"), -0x7FFFFFF0
        ),
        IPv4Address("255.255.255.0"),
        True,
        20,
    ).sealed()
    broken = dataclasses.replace(
        lsa, header=dataclasses.replace(lsa.header, ls_checksum=lsa.header.ls_checksum ^ 1)
    )
    pkt = encode_packet("1.1.1.1", "0.0.0.0", LinkStateUpdate((broken,)))
    net.feed("r2", PacketIn("l", IPv4Address("10.0.1.1"), pkt, dst=ALL_SPF_ROUTERS))
    assert net.engines["r2"].counters["lsa_bad_checksum"] == 1
    assert net.engines["r2"].lsdb.get(None, broken.header.key) is None


def test_min_ls_interval_coalesces_originations() -> None:
    net = line(2)
    net.run(20)
    r1 = net.engines["r1"]
    before = r1.counters["lsa_originated"]
    for k in range(5):  # five redistribution changes within 0.5 s
        net.feed("r1", static(*[f"192.0.{j}.0/24" for j in range(k + 1)]))
        net.run_for(0.1)
    # the router-LSA (E bit) and each external once; no LSA twice inside MinLSInterval (1 s)
    times: dict = {}
    for t, r, a in net.trace:
        if r == "r1" and type(a).__name__ == "Log" and a.message.startswith("ospf originate"):
            times.setdefault(a.message.split(" seq")[0], []).append(t)
    for stamps in times.values():
        assert all(b - a >= 1.0 - 1e-6 for a, b in itertools.pairwise(stamps))
    net.run_for(5)
    assert len([k for _, k, _ in net.engines["r2"].lsdb if k[0] == 5]) == 5
    assert r1.counters["lsa_originated"] - before >= 5


def test_a_flooded_copy_stays_on_the_retransmission_list_of_the_next_hop() -> None:
    """§13 (5b)/(5c): installing a received LSA removes older copies from retransmission lists, not the
    instance just flooded onward: if r2's onward update to r3 is lost, r2 must send it again."""
    lost = []

    def drop(now, sender, receiver, pkt) -> bool:
        if sender == "r2" and receiver == "r3" and isinstance(pkt.body, LinkStateUpdate) and not lost:
            if any(lsa.header.key == EXT_KEY for lsa in pkt.body.lsas):
                lost.append(now)
                return True
        return False

    net = line(3)
    net.run(20)
    net.drop = drop
    net.feed("r1", static("192.0.2.0/24"))
    net.run_for(6)
    assert lost, "the onward update was not dropped: the test did not exercise the case"
    assert net.engines["r3"].lsdb.get(None, EXT_KEY) is not None
    assert "192.0.2.0/24" in net.routes("r3")


def test_lsas_flooded_in_one_call_share_one_link_state_update_per_interface() -> None:
    # §13.3 (5) / §A.3.5: what one event originates (two AS-external-LSAs, and the router-LSA that
    # now has the E bit) leaves in one LSU, and r2 floods all of it on towards r3 in one LSU too.
    net = line(3)
    net.run(20)
    t0 = net.now
    out = net.feed("r1", static("192.0.2.0/24", "198.51.100.0/24"))
    lsus = [decode_packet(a.data).body for a in out if isinstance(a, Send)]
    lsus = [b for b in lsus if isinstance(b, LinkStateUpdate)]
    assert len(lsus) == 1
    assert sorted(int(lsa.header.ls_type) for lsa in lsus[0].lsas) == [1, 5, 5]
    net.run_for(0.05)
    r2_lsus = [
        decode_packet(a.data).body
        for t, r, a in net.trace
        if t >= t0 and r == "r2" and isinstance(a, Send) and a.iface == "r"
    ]
    r2_lsus = [b for b in r2_lsus if isinstance(b, LinkStateUpdate)]
    assert len(r2_lsus) == 1 and len(r2_lsus[0].lsas) == 3
    # both are on r2's retransmission list for r3 until acknowledged, then nothing is left
    net.run_for(5)
    for r in ("r2", "r3"):
        assert len([k for _, k, _ in net.engines[r].lsdb if k[0] == 5]) == 2
    for eng in net.engines.values():
        assert all(not n.retransmit for i in eng.ifaces.values() for n in i.neighbors.values())


def _lsus_sent(actions, iface: str) -> list[LinkStateUpdate]:
    bodies = [decode_packet(a.data).body for a in actions if isinstance(a, Send) and a.iface == iface]
    return [b for b in bodies if isinstance(b, LinkStateUpdate)]


def test_packets_handled_as_one_batch_are_flooded_on_in_one_update() -> None:
    # what the runtime reads from its sockets in one go reaches the engine as one batch: r2 floods
    # the LSAs of both of r1's updates on to r3 in a single LSU (and sequentially it takes two)
    results = {}
    for mode in ("batch", "one-by-one"):
        net = line(3)
        net.run(20)
        net.drop = lambda now, s, r, pkt: s == "r1" and isinstance(pkt.body, LinkStateUpdate)
        t0 = net.now
        net.feed("r1", static("192.0.2.0/24"))
        net.run_for(0.1)
        net.feed("r1", static("192.0.2.0/24", "198.51.100.0/24"))
        sent = [
            a for t, r, a in net.trace if t >= t0 and r == "r1" and isinstance(a, Send) and a.iface == "r"
        ]
        updates = [a.data for a in sent if isinstance(decode_packet(a.data).body, LinkStateUpdate)]
        assert len(updates) == 2
        net.drop = None
        r2 = net.engines["r2"]
        events = [PacketIn("l", IPv4Address("10.0.1.1"), d, dst=ALL_SPF_ROUTERS) for d in updates]
        if mode == "batch":
            out = r2.handle_batch(events, net.now)
        else:
            out = [a for e in events for a in r2.handle(e, net.now)]
        net.apply("r2", out)
        results[mode] = _lsus_sent(out, "r")
        net.run_for(5)
        assert len([k for _, k, _ in net.engines["r3"].lsdb if k[0] == 5]) == 2
    (one,) = results["batch"]
    assert sorted(int(lsa.header.ls_type) for lsa in one.lsas) == [1, 5, 5]
    assert len(results["one-by-one"]) == 2


def test_each_lsa_is_retransmitted_rxmtinterval_after_it_was_sent_not_with_older_ones() -> None:
    # §13.6: r2's acks are lost, so r1 retransmits; an LSA flooded 1.5 s after the first one has
    # not been unacknowledged for RxmtInterval (2 s) when the first is due, so it waits its turn
    net = line(3)
    net.run(20)
    net.drop = lambda now, s, r, pkt: s == "r2" and r == "r1" and isinstance(pkt.body, LinkStateAck)
    t0 = net.now
    net.feed("r1", static("192.0.2.0/24"))
    net.run_for(1.5)
    t1 = net.now
    net.feed("r1", static("192.0.2.0/24", "198.51.100.0/24"))
    net.run_for(4.2)
    sends = [
        (
            t,
            {
                str(lsa.header.link_state_id)
                for lsa in decode_packet(a.data).body.lsas
                if lsa.header.ls_type == 5
            },
        )
        for t, r, a in net.trace
        if t >= t0 and r == "r1" and isinstance(a, Send) and a.iface == "r"
        if isinstance(decode_packet(a.data).body, LinkStateUpdate)
    ]
    first = [ext for t, ext in sends if "192.0.2.0" in ext]
    second = [(t, ext) for t, ext in sends if "198.51.100.0" in ext]
    assert len(first) >= 3  # flooded, then again at t0+2 and t0+4
    times = [t for t, _ in second]
    assert times[0] == t1  # flooded at once
    assert all(t - t1 >= 2.0 - 1e-6 for t in times[1:]) and len(times) >= 2  # first retransmit at t1+2
    # the retransmission at t0+2 carries the first LSA only
    (at_t0_2,) = [ext for t, ext in sends if abs(t - (t0 + 2.0)) < 1e-6]
    assert at_t0_2 == {"192.0.2.0"}


def test_delayed_acks_leave_after_a_quarter_of_rxmtinterval() -> None:
    # §13.5: well within RxmtInterval (2 s here): 0.5 s after the update, not 1 s
    net = line(3)
    net.run(20)
    t0 = net.now
    net.feed("r1", static("192.0.2.0/24"))
    net.run_for(1.5)
    acks = [
        t
        for t, r, a in net.trace
        if t >= t0 and r == "r2" and isinstance(a, Send) and a.iface == "l"
        if isinstance(decode_packet(a.data).body, LinkStateAck)
    ]
    assert acks and acks[0] - t0 == pytest.approx(0.01 + 0.5, abs=0.02)


def _router_lsa_seq(net: Net, router: str, of: str) -> int | None:
    entry = net.engines[router].lsdb.get(BACKBONE, (1, IPv4Address(of), IPv4Address(of)))
    return None if entry is None else entry.lsa.header.ls_sequence_number


def test_a_newer_instance_right_after_a_requested_copy_is_taken_at_once() -> None:
    """The LAN case of §13 (5a), in a line: r3's exchange with r2 hands it r1's router-LSA; r1's next
    instance (originated as r3 installs that copy) reaches r3 20 ms later and is installed then, not
    after r2's retransmission a RxmtInterval later."""
    net = line(3)
    net.segments[1].up = False
    net.run(10)
    net.segments[1].up = True
    key = (1, IPv4Address("1.1.1.1"), IPv4Address("1.1.1.1"))
    seq = net.engines["r1"].lsdb.get(BACKBONE, key).lsa.header.ls_sequence_number
    for _ in range(5000):
        net.run_for(0.001)
        if _router_lsa_seq(net, "r3", "1.1.1.1") == seq:
            break
    assert net.engines["r3"].lsdb.get(BACKBONE, key).requested  # from the database exchange
    changed = net.now
    net.apply("r1", net.engines["r1"].set_cost("r", 3, net.now))
    while _router_lsa_seq(net, "r3", "1.1.1.1") != seq + 1 and net.now < changed + 5:
        net.run_for(0.001)
    assert _router_lsa_seq(net, "r3", "1.1.1.1") == seq + 1
    assert net.now - changed < 0.5, net.now - changed  # MinLSArrival would have cost RxmtInterval (2 s)
    assert net.engines["r3"].counters["lsa_min_arrival_drops"] == 0


def test_a_newer_instance_right_after_a_flooded_copy_waits_for_the_retransmission() -> None:
    """The same with both copies flooded: the second, less than MinLSArrival (0.5 s) after the
    first, is discarded unacknowledged (§13 (5a)) and comes again with r2's retransmission."""
    net = line(3, timers=dataclasses.replace(FAST_TIMERS, min_ls_interval=0.0))
    net.run(10)
    key = (1, IPv4Address("1.1.1.1"), IPv4Address("1.1.1.1"))
    r1, r3 = net.engines["r1"], net.engines["r3"]
    seq = r1.lsdb.get(BACKBONE, key).lsa.header.ls_sequence_number
    net.apply("r1", r1.set_cost("r", 3, net.now))
    while _router_lsa_seq(net, "r3", "1.1.1.1") != seq + 1:
        net.run_for(0.001)
    assert not r3.lsdb.get(BACKBONE, key).requested
    changed = net.now
    net.apply("r1", r1.set_cost("r", 4, net.now))  # MinLSInterval 0 here: originated at once
    while _router_lsa_seq(net, "r3", "1.1.1.1") != seq + 2 and net.now < changed + 5:
        net.run_for(0.001)
    assert r3.counters["lsa_min_arrival_drops"] >= 1
    assert 1.5 < net.now - changed < 2.5  # r2's retransmission, RxmtInterval (2 s) after it sent it
