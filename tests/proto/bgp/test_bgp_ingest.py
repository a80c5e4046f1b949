"""A 100k-prefix full table from one eBGP peer: correctness of ingest, RIB output and withdrawal."""

from __future__ import annotations

from bench_ingest import PEER, established_engine, full_table_stream

from routesim.proto.base import RoutesChanged
from routesim.proto.bgp import TcpData
from routesim.proto.bgp.adj_rib import prefix_key
from routesim.wire.bgp import Negotiated, Prefix, Update, pack_updates


def test_100k_prefixes_ingest_install_and_withdraw():
    data, prefixes = full_table_stream(100_000, paths=200)
    engine = established_engine(install_routes=True)
    installed = 0
    for i in range(0, len(data), 50_000):  # arbitrary TCP segmentation
        for a in engine.handle(TcpData("c", data[i : i + 50_000]), 1.0):
            if isinstance(a, RoutesChanged):
                installed += len(a.upserts)
    assert len(engine.loc) == len(prefixes) > 95_000
    assert installed == len(prefixes)
    peer = engine.peers[PEER]
    assert peer.rib_in.accepted == len(prefixes) == peer.rib_in.received
    assert len(engine._intern) < 1000  # attribute sets are shared, not per prefix
    first, last = prefixes[0], prefixes[-1]
    a_first = peer.rib_in.routes[prefix_key(*first)]
    assert a_first.as_path.asns[0] == 65002 and a_first.next_hop == PEER and a_first.local_pref == 100
    assert peer.rib_in.routes[prefix_key(*last)].as_path.asns[-1] >= 4_200_000_000
    assert engine.inspect(2.0)["summary"]["prefixes_accepted"] == len(prefixes)
    # the cheap summary (the control socket's bgp_summary, polled during a load) says the same
    assert engine.summary() == engine.inspect(2.0)["summary"]
    assert engine.summary()["loc_rib"] == len(prefixes) and engine.summary()["established"] == 1
    assert len(engine.inspect(2.0)["routes"]) <= 2000  # inspect stays bounded
    # Withdraw every other prefix.
    gone = prefixes[::2]
    neg = Negotiated(four_octet_as=True)
    wd = b"".join(u.encode(neg) for u in pack_updates((), (), gone, neg))
    withdrawn = 0
    for a in engine.handle(TcpData("c", wd), 2.0):
        if isinstance(a, RoutesChanged):
            withdrawn += len(a.withdrawals)
    assert withdrawn == len(gone) and len(engine.loc) == len(prefixes) - len(gone)
    assert prefix_key(*gone[0]) not in engine.loc and prefix_key(*prefixes[1]) in engine.loc
    assert isinstance(Prefix(0, 0), tuple) and Update().is_end_of_rib


def test_key_network_matches_ipaddress():
    import itertools
    from ipaddress import IPv4Network

    from routesim.proto.bgp.adj_rib import key_network, key_str, network_key

    for text in ("0.0.0.0/0", "10.0.0.0/8", "192.0.2.0/24", "192.0.2.4/31", "192.0.2.7/32"):
        n = IPv4Network(text)
        got = key_network(network_key(n))
        assert got == n and hash(got) == hash(n) and str(got) == text == key_str(network_key(n))
        assert list(itertools.islice(got.hosts(), 2)) == list(itertools.islice(n.hosts(), 2))
