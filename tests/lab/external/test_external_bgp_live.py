"""BIRD <-> FRR <-> GoBGP over eBGP with the generated configs: a triangle with 4-octet ASNs and TCP MD5.

r1 (BIRD, AS 4200000001) has r2 (FRR, AS 4200000002) as provider and r3 (GoBGP, AS 4200000003) as
peer, so every pair of kinds exchanges routes both ways, and the relationship model, the policies and
``announce``/``announce_always`` are checked on real daemons:

* r1 prefers r3's longer path (LOCAL_PREF 150 as a peer over 100 from the provider);
* valley-free at r1: nothing learned from r2 goes to r3 and nothing from r3 goes to r2;
* the large-community markers never leave their AS; r3 (GoBGP) sets LOCAL_PREF 150 on its peer r1's routes;
* r2's export prepends twice toward r1, r1's import sets MED 10 and a community, r2's import rejects
  paths through AS 4200000001 from r3;
* r1's 203.0.113.0/24 has no covering route and is not announced; r2's 198.51.100.0/24
  (``announce_always``) is.

Each test builds its own ``rs-xt<N>-*`` namespaces; the fixtures stop every daemon and delete every
namespace even when the test fails.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from xt_helpers import Namespaces, needs_bird, needs_frr, needs_root

from routesim.lab.external import external_router
from routesim.topology import load_topology_text

needs_gobgp = pytest.mark.skipif(shutil.which("gobgpd") is None, reason="gobgpd not installed")

pytestmark = [
    pytest.mark.netns,
    pytest.mark.interop,
    pytest.mark.slow,
    needs_root,
    needs_bird,
    needs_frr,
    needs_gobgp,
]

LAB = """\
name: xbgp-live
timers: fast
nodes:
  r1:
    kind: bird
    asn: 4200000001
    networks: [192.168.1.0/24]
    bgp:
      announce: [192.168.1.0/24, 203.0.113.0/24]
      neighbors:
        r2:
          relationship: provider
          md5: k12
          ttl_security: true
          import: [{match: {prefix: 192.168.2.0/24}, set: {med: 10, communities: ["64500:100"]}}]
        r3: {relationship: peer, md5: k13}
  r2:
    kind: frr
    asn: 4200000002
    networks: [192.168.2.0/24]
    bgp:
      announce: [192.168.2.0/24, 198.51.100.0/24]
      announce_always: true
      neighbors:
        r1:
          relationship: customer
          md5: k12
          ttl_security: true
          export: [{match: {prefix: 192.168.2.0/24}, set: {prepend: 2}}]
        r3:
          md5: k23
          import: [{match: {as_path: "_4200000001_"}, action: reject}]
  r3:
    kind: gobgp
    asn: 4200000003
    bgp:
      announce: [192.168.3.0/24]
      neighbors:
        r1: {relationship: peer, md5: k13, max_prefix: 100}
        r2: {md5: k23}
links:
  - {endpoints: [r1, r2], subnet: 10.0.0.0/30}
  - {endpoints: [r1, r3], subnet: 10.0.0.4/30}
  - {endpoints: [r2, r3], subnet: 10.0.0.8/30}
"""

A1, A2, A3 = "4200000001", "4200000002", "4200000003"


def wait_for(what: str, probe: Callable[[], Any], ok: Callable[[Any], bool], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if ok(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached in {timeout} s; last value: {value!r}")
        time.sleep(0.2)


def paths(bgp: dict) -> dict[str, set[str]]:
    """prefix -> the AS paths the router holds for it."""
    out: dict[str, set[str]] = {}
    for r in bgp["routes"]:
        out.setdefault(r["prefix"], set()).add(r["as_path"])
    return out


def best(bgp: dict, prefix: str) -> dict:
    (r,) = [r for r in bgp["routes"] if r["prefix"] == prefix and r["best"]]
    return r


#: What each router must end with: prefix -> AS paths (complete: no other prefix, no other path).
EXPECTED = {
    "r1": {
        "192.168.1.0/24": {""},  # ours; 203.0.113.0/24 has no covering route: not originated
        "192.168.2.0/24": {f"{A2} {A2} {A2}", f"{A3} {A2}"},
        "198.51.100.0/24": {A2, f"{A3} {A2}"},
        "192.168.3.0/24": {A3, f"{A2} {A3}"},
    },
    "r2": {
        "192.168.1.0/24": {A1},  # the path via r3 is rejected by r2's import policy
        "192.168.2.0/24": {""},
        "198.51.100.0/24": {""},
        "192.168.3.0/24": {A3},  # r1 does not pass a peer's route to its provider
    },
    "r3": {
        "192.168.1.0/24": {A1, f"{A2} {A1}"},
        "192.168.2.0/24": {A2},  # r1 does not pass its provider's route to a peer
        "198.51.100.0/24": {A2},
        "192.168.3.0/24": {""},
    },
}


def test_bird_frr_gobgp_ebgp_triangle(namespaces: Namespaces, workdir: Path, routers: list) -> None:
    topo = load_topology_text(LAB)
    ns = {n: namespaces.ns(n) for n in ("r1", "r2", "r3")}
    namespaces.veth(ns["r1"], "r2", ns["r2"], "r1")
    namespaces.veth(ns["r1"], "r3", ns["r3"], "r1")
    namespaces.veth(ns["r2"], "r3", ns["r3"], "r2")
    for n in ns:
        namespaces.configure(ns[n], topo.node(n))
    started = {}
    for n in ns:
        r = external_router(topo.node(n))
        r.write_config(workdir / n, topo)
        r.check_config()
        routers.append(r)
    t0 = time.monotonic()
    for r, n in zip(routers, ns, strict=True):
        r.start(ns[n])
        started[n] = r
    for r in routers:
        r.wait_ready(15.0)

    for n, r in started.items():
        summary = wait_for(
            f"{n}: both sessions Established",
            lambda r=r: r.inspect("bgp")["summary"],
            lambda s: s["established"] == 2,
            30.0,
        )
        assert summary["neighbors"] == 2
    t_up = time.monotonic() - t0
    for n, r in started.items():
        wait_for(f"{n}: routes", lambda r=r: paths(r.inspect("bgp")), lambda v, n=n: v == EXPECTED[n], 30.0)
    t_routes = time.monotonic() - t0
    print(f"\neBGP triangle: sessions up {t_up:.2f} s, routes converged {t_routes:.2f} s after start")

    b1, b2, b3 = (started[n].inspect("bgp") for n in ("r1", "r2", "r3"))
    # r1: the peer's path wins on LOCAL_PREF; the provider's carries the import policy's MED/community
    via_peer = best(b1, "192.168.2.0/24")
    assert (via_peer["as_path"], via_peer["local_pref"], via_peer["large_communities"]) == (
        f"{A3} {A2}",
        150,
        f"{A1}:1000:2",
    )
    (via_provider,) = [r for r in b1["routes"] if r["prefix"] == "192.168.2.0/24" and not r["best"]]
    assert (via_provider["local_pref"], via_provider["med"], via_provider["communities"]) == (
        100,
        10,
        "64500:100",
    )
    # r2 and r3 see r1's route as a customer route / plain eBGP route without r1's markers
    from_r1 = best(b2, "192.168.1.0/24")
    assert from_r1["local_pref"] == 200 and from_r1["next_hop"] == "10.0.0.1"
    assert all(
        r["large_communities"] in ("", f"{A3}:1000:0") for r in b3["routes"] if r["peer"] != "10.0.0.5"
    )
    # r3 (GoBGP) marks r1's route as from a peer, with LOCAL_PREF 150; its markers do not reach r1
    r3_from_r1 = best(b3, "192.168.1.0/24")
    assert (r3_from_r1["local_pref"], r3_from_r1["large_communities"]) == (150, f"{A3}:1000:2")
    assert all(c.startswith(f"{A1}:") for r in b1["routes"] for c in r["large_communities"].split())
    # the RIBs and the kernels agree: BIRD and FRR install, GoBGP has no FIB
    fib1 = {f["prefix"]: f for f in started["r1"].inspect("routes")["fib"]}
    assert fib1["192.168.3.0/24"]["next_hops"] == [{"gateway": "10.0.0.6", "interface": "r3"}]
    assert fib1["192.168.3.0/24"]["protocol"] == "ebgp"
    fib2 = {f["prefix"]: f for f in started["r2"].inspect("routes")["fib"]}
    assert fib2["192.168.1.0/24"]["next_hops"] == [{"gateway": "10.0.0.1", "interface": "r1"}]
    assert fib2["198.51.100.0/24"].get("type") == "blackhole"
    rib3 = [r for r in started["r3"].inspect("routes")["rib"] if r["protocol"] == "ebgp" and r["selected"]]
    assert {r["prefix"]: r["next_hops"][0]["interface"] for r in rib3} == {
        "192.168.1.0/24": "r1",
        "192.168.2.0/24": "r2",
        "198.51.100.0/24": "r2",
    }
    # neighbors: BGP rows for every kind, MD5 on in FRR's view
    for r in started.values():
        rows = [x for x in r.inspect("neighbors")["neighbors"] if x["protocol"] == "bgp"]
        assert len(rows) == 2 and all(x["state"] == "Established" for x in rows)
    frr_nbrs = started["r2"].vtysh("show bgp neighbors json")
    assert '"authenticationEnabled":1' in frr_nbrs.replace(" ", "")
    assert t_routes < 30.0

    # GoBGP is our child: stop reaps it
    pid = started["r3"].inspect("protocols")["protocols"][0]["pid"]
    started["r3"].stop()
    assert not Path(f"/proc/{pid}").exists()
    wait_for(
        "r2 notices r3 left",
        lambda: {n["address"]: n["state"] for n in started["r2"].inspect("bgp")["neighbors"]},
        lambda s: s["10.0.0.10"] != "Established",
        10.0,
    )


IBGP_LAB = """\
name: xbgp-ibgp
timers: fast
nodes:
  rr:
    kind: bird
    asn: 65000
    networks: [192.168.1.0/24]
    static: [{prefix: 10.255.0.2/32, via: c2}, {prefix: 10.255.0.3/32, via: c3}]
    bgp:
      announce: [192.168.1.0/24]
      cluster_id: 10.255.9.9
      neighbors:
        c2: {route_reflector_client: true, md5: kk2}
        c3: {route_reflector_client: true, md5: kk3}
  c2:
    kind: frr
    asn: 65000
    networks: [192.168.2.0/24]
    static: [{prefix: 10.255.0.0/24, via: rr}]
    bgp: {announce: [192.168.2.0/24], neighbors: {rr: {md5: kk2}}}
  c3:
    kind: gobgp
    asn: 65000
    networks: [192.168.3.0/24]
    static: [{prefix: 10.255.0.0/24, via: rr}]
    bgp: {announce: [192.168.3.0/24], neighbors: {rr: {md5: kk3}}}
links:
  - [rr, c2]
  - [rr, c3]
"""


def test_ibgp_route_reflection_between_loopbacks(
    namespaces: Namespaces, workdir: Path, routers: list
) -> None:
    """BIRD reflects between an FRR and a GoBGP client (RFC 4456), sessions between loopbacks over statics."""
    topo = load_topology_text(IBGP_LAB)
    ns = {n: namespaces.ns(n) for n in ("rr", "c2", "c3")}
    namespaces.veth(ns["rr"], "c2", ns["c2"], "rr")
    namespaces.veth(ns["rr"], "c3", ns["c3"], "rr")
    started = {}
    for n in ns:
        namespaces.configure(ns[n], topo.node(n))
        r = external_router(topo.node(n))
        r.write_config(workdir / n, topo)
        r.check_config()
        routers.append(r)
    t0 = time.monotonic()
    for r, n in zip(routers, ns, strict=True):
        r.start(ns[n])
        started[n] = r
    for r in routers:
        r.wait_ready(15.0)
    want = {"192.168.1.0/24", "192.168.2.0/24", "192.168.3.0/24"}
    for n, r in started.items():
        wait_for(
            f"{n}: every prefix",
            lambda r=r: {x["prefix"] for x in r.inspect("bgp")["routes"] if x["best"]},
            lambda v: v == want,
            30.0,
        )
    print(f"\niBGP route reflection: converged {time.monotonic() - t0:.2f} s after start")
    b = {n: r.inspect("bgp") for n, r in started.items()}
    assert [x["type"] for x in b["rr"]["neighbors"]] == ["ibgp", "ibgp"]
    # the reflected routes keep their originator's next hop (a loopback), empty AS path, LOCAL_PREF 100
    at_c3 = best(b["c3"], "192.168.2.0/24")
    assert (at_c3["next_hop"], at_c3["as_path"], at_c3["local_pref"]) == ("10.255.0.2", "", 100)
    at_c2 = best(b["c2"], "192.168.3.0/24")
    assert (at_c2["next_hop"], at_c2["as_path"]) == ("10.255.0.3", "")
    rib2 = {(r["prefix"], r["protocol"]): r for r in started["c2"].inspect("routes")["rib"]}
    assert rib2[("192.168.3.0/24", "ibgp")]["distance"] == 200
    rib1 = {(r["prefix"], r["protocol"]): r for r in started["rr"].inspect("routes")["rib"]}
    assert rib1[("192.168.2.0/24", "ibgp")]["distance"] == 200
    assert rib1[("192.168.2.0/24", "ibgp")]["next_hops"][0]["gateway"] == "10.0.0.2"  # resolved recursively
    # BIRD's reflected route carries the cluster id and originator (RFC 4456 §8)
    routes = started["rr"].birdc("show", "route", "all", "192.168.2.0/24")
    assert "BGP.local_pref: 100" in routes


VALLEY_LAB = """\
name: xbgp-valley
timers: fast
nodes:
  p:
    kind: frr
    asn: 64510
    networks: [192.168.10.0/24]
    bgp: {announce: [192.168.10.0/24], neighbors: {g: {relationship: customer}}}
  g:
    kind: gobgp
    asn: 4200000020
    bgp:
      announce: [192.168.20.0/24]
      neighbors: {p: {relationship: provider}, q: {relationship: peer}, c: {relationship: customer}}
  q:
    kind: bird
    asn: 64530
    networks: [192.168.30.0/24]
    bgp: {announce: [192.168.30.0/24], neighbors: {g: {relationship: peer}}}
  c:
    kind: bird
    asn: 64540
    networks: [192.168.40.0/24]
    bgp: {announce: [192.168.40.0/24], neighbors: {g: {relationship: provider}}}
links:
  - [p, g]
  - [g, q]
  - [g, c]
"""


def test_gobgp_valley_free(namespaces: Namespaces, workdir: Path, routers: list) -> None:
    """GoBGP with a provider, a peer and a customer: Gao-Rexford export and LOCAL_PREF by relationship."""
    topo = load_topology_text(VALLEY_LAB)
    ns = {n: namespaces.ns(n) for n in ("p", "g", "q", "c")}
    for other in ("p", "q", "c"):
        namespaces.veth(ns["g"], other, ns[other], "g")
    started = {}
    for n in ns:
        namespaces.configure(ns[n], topo.node(n))
        r = external_router(topo.node(n))
        r.write_config(workdir / n, topo)
        r.check_config()
        routers.append(r)
    for r, n in zip(routers, ns, strict=True):
        r.start(ns[n])
        started[n] = r
    for r in routers:
        r.wait_ready(15.0)
    expected = {
        # provider and peer get ours and our customer's only; the customer gets everything
        "p": {"192.168.10.0/24", "192.168.20.0/24", "192.168.40.0/24"},
        "q": {"192.168.30.0/24", "192.168.20.0/24", "192.168.40.0/24"},
        "c": {"192.168.10.0/24", "192.168.20.0/24", "192.168.30.0/24", "192.168.40.0/24"},
        "g": {"192.168.10.0/24", "192.168.20.0/24", "192.168.30.0/24", "192.168.40.0/24"},
    }
    for n, r in started.items():
        wait_for(
            f"{n}: prefixes",
            lambda r=r: {x["prefix"] for x in r.inspect("bgp")["routes"]},
            lambda v, n=n: v == expected[n],
            30.0,
        )
    g = started["g"].inspect("bgp")
    lp = {r["prefix"]: r["local_pref"] for r in g["routes"] if r["peer"] != "local"}
    assert lp == {"192.168.10.0/24": 100, "192.168.30.0/24": 150, "192.168.40.0/24": 200}
    # g's markers do not reach its neighbours (each BIRD keeps its own, "<own AS>:1000:<class>")
    for n, asn in (("q", "64530"), ("c", "64540")):
        comms = {c for r in started[n].inspect("bgp")["routes"] for c in r["large_communities"].split()}
        assert comms and all(c.startswith(f"{asn}:1000:") for c in comms), comms
