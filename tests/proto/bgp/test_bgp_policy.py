"""Import/export policies and the customer/peer/provider relationship model (valley-free export)."""

from __future__ import annotations

import pytest
from bgp_harness import Net, Raw, attrs, connected, ip, make, nbr, net

from routesim.proto.bgp import AsPathMatch, Policy, PolicyRule, PrefixMatch
from routesim.wire.bgp import NO_EXPORT, Communities, community

E1, E2 = "10.0.1.2", "10.0.2.2"


def pair(import_policy=None, export_policy=None, **kw) -> Raw:
    r = Raw(
        make(
            65001,
            "1.1.1.1",
            [
                nbr(E1, 65002, passive=True, import_policy=import_policy, **kw),
                nbr(E2, 65003, passive=True, export_policy=export_policy),
            ],
        )
    )
    r.establish(E1, 65002, "2.2.2.2")
    r.establish(E2, 65003, "3.3.3.3")
    return r


def accepted(r: Raw) -> set[str]:
    return {str(p) for p in r.rib}


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        (PrefixMatch(net("10.0.0.0/8")), {"10.0.0.0/8"}),
        (PrefixMatch(net("10.0.0.0/8"), le=16), {"10.0.0.0/8", "10.1.0.0/16"}),
        (PrefixMatch(net("10.0.0.0/8"), ge=24), {"10.2.3.0/24", "10.2.3.128/25"}),
        (PrefixMatch(net("10.0.0.0/8"), ge=16, le=24), {"10.1.0.0/16", "10.2.3.0/24"}),
    ],
    ids=["exact", "le", "ge", "ge-le"],
)
def test_prefix_filter_with_ge_le(match, expected):
    r = pair(import_policy=Policy((PolicyRule(prefixes=(match,)),), default="reject"))
    nlri = ["10.0.0.0/8", "10.1.0.0/16", "10.2.3.0/24", "10.2.3.128/25", "192.0.2.0/24"]
    r.update(E1, nlri, attrs(65002, next_hop=E1))
    assert accepted(r) == expected
    info = r.engine.inspect(1.0)["neighbors"][0]
    assert info["prefixes_received"] == 5 and info["prefixes_accepted"] == len(expected)


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        (AsPathMatch(regex=r"^65002 64999$"), {"192.0.2.0/24"}),
        (AsPathMatch(regex=r"_?64998$|\b64998$"), {"198.51.100.0/24"}),
        (AsPathMatch(contains=64999), {"192.0.2.0/24"}),
        (AsPathMatch(origin=64998), {"198.51.100.0/24"}),
    ],
    ids=["regex-exact", "regex-origin", "contains", "origin"],
)
def test_as_path_filter(match, expected):
    r = pair(import_policy=Policy((PolicyRule(as_path=match, action="reject"),)))
    r.update(E1, ["192.0.2.0/24"], attrs(65002, 64999, next_hop=E1))
    r.update(E1, ["198.51.100.0/24"], attrs(65002, 64998, next_hop=E1))
    assert accepted(r) == {"192.0.2.0/24", "198.51.100.0/24"} - expected
    assert r.engine.counters["rejected_policy"] == 1


def test_set_local_pref_on_import():
    r = pair(
        import_policy=Policy((PolicyRule(prefixes=(PrefixMatch(net("192.0.2.0/24")),), set_local_pref=250),))
    )
    r.update(E1, ["192.0.2.0/24", "198.51.100.0/24"], attrs(65002, next_hop=E1))
    assert dict(r.rib[net("192.0.2.0/24")].attrs)["local_pref"] == 250
    assert dict(r.rib[net("198.51.100.0/24")].attrs)["local_pref"] == 100


def test_export_prepend_and_communities_add():
    r = pair(export_policy=Policy((PolicyRule(prepend=2, add_communities=(community(65001, 42),)),)))
    r.update(E1, ["192.0.2.0/24"], attrs(65002, next_hop=E1, extra=(Communities((community(65002, 1),)),)))
    upd = r.advertised(E2)["192.0.2.0/24"]
    assert upd.as_path.asns == (65001, 65001, 65001, 65002)
    assert upd.communities.values == (community(65002, 1), community(65001, 42))


def test_export_prefix_filter_withdraws_and_rejects():
    only = Policy((PolicyRule(prefixes=(PrefixMatch(net("192.0.2.0/24")),)),), default="reject")
    r = pair(export_policy=only)
    r.update(E1, ["192.0.2.0/24", "198.51.100.0/24"], attrs(65002, next_hop=E1))
    assert set(r.advertised(E2)) == {"192.0.2.0/24"}


def test_import_communities_no_export_stops_ebgp_export():
    r = pair(import_policy=Policy((PolicyRule(add_communities=(NO_EXPORT,)),)))
    r.update(E1, ["192.0.2.0/24"], attrs(65002, next_hop=E1))
    assert net("192.0.2.0/24") in r.rib and r.advertised(E2) == {}
    assert dict(r.rib[net("192.0.2.0/24")].attrs)["communities"] == "65535:65281"


def test_policy_validation():
    with pytest.raises(ValueError):
        PrefixMatch(net("10.0.0.0/16"), ge=8)
    with pytest.raises(ValueError):
        AsPathMatch(regex="x", contains=1)
    with pytest.raises(ValueError):
        PolicyRule(action="maybe")  # type: ignore[arg-type]


# --- relationships ---------------------------------------------------------------------------


def triangle() -> Net:
    """me (AS 100) with a customer (AS 200), a peer (AS 300) and a provider (AS 400); each announces one
    prefix. Valley-free: customer routes go everywhere, peer/provider routes only to the customer."""
    n = Net()
    links = {"cust": ("10.0.1", 200), "peer": ("10.0.2", 300), "prov": ("10.0.3", 400)}
    rel = {"cust": "customer", "peer": "peer", "prov": "provider"}
    me = [nbr(f"{sub}.2", asn, relationship=rel[name]) for name, (sub, asn) in links.items()]
    n.add(
        "me",
        make(100, "1.0.0.1", me),
        [f"{s}.1" for s, _ in links.values()],
        igp_routes=[connected(f"{s}.0/24") for s, _ in links.values()],
    )
    back = {"cust": "provider", "peer": "peer", "prov": "customer"}
    for i, (name, (sub, asn)) in enumerate(links.items()):
        n.add(
            name,
            make(
                asn,
                f"1.0.0.{i + 2}",
                [nbr(f"{sub}.1", 100, relationship=back[name])],
                announce=(net(f"203.0.{i}.0/24"),),
                announce_always=True,
            ),
            [f"{sub}.2"],
            igp_routes=[connected(f"{sub}.0/24")],
        )
    n.start()
    n.run(2.0)
    return n


def test_relationship_local_pref_on_import():
    n = triangle()
    rib = n.nodes["me"].rib
    assert dict(rib[net("203.0.0.0/24")].attrs)["local_pref"] == 200  # from the customer
    assert dict(rib[net("203.0.1.0/24")].attrs)["local_pref"] == 150  # from the peer
    assert dict(rib[net("203.0.2.0/24")].attrs)["local_pref"] == 100  # from the provider


def test_valley_free_export():
    n = triangle()
    cust, peer, prov = (set(map(str, n.nodes[x].rib)) for x in ("cust", "peer", "prov"))
    assert cust == {"203.0.1.0/24", "203.0.2.0/24"}  # the customer hears everything
    assert peer == {"203.0.0.0/24"}  # the peer hears only customer routes
    assert prov == {"203.0.0.0/24"}  # the provider too: no peer->provider or provider->peer valley


def test_relationship_prefers_customer_over_shorter_provider_path():
    r = Raw(
        make(
            100,
            "1.0.0.1",
            [
                nbr(E1, 200, passive=True, relationship="customer"),
                nbr(E2, 400, passive=True, relationship="provider"),
            ],
        )
    )
    r.establish(E1, 200, "2.2.2.2")
    r.establish(E2, 400, "4.4.4.4")
    r.update(E1, ["192.0.2.0/24"], attrs(200, 201, 202, next_hop=E1))
    r.update(E2, ["192.0.2.0/24"], attrs(400, next_hop=E2))
    src, _, reason = r.best("192.0.2.0/24")
    assert src.address == ip(E1) and reason == "local_pref"
