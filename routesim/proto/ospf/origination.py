"""LSA origination (RFC 2328 §12.4): what this router says about itself, and when.

Origination is *declarative*: :func:`desired` builds, from the current interface, neighbor, routing
and redistribution state, every LSA the router should have in the database right now (unsealed, with
no sequence number):

* a router-LSA per attached area (§12.4.1): point-to-point links plus a stub for the subnet
  (§12.4.1.1 option 2), transit links to networks where we are fully adjacent to
  the DR (or are the DR with a full neighbor), stub links otherwise (Waiting, no adjacency, passive);
  flags B (area border router) and E (AS boundary router);
* a network-LSA for every broadcast interface where we are DR with at least one full neighbor
  (§12.4.2);
* as an ABR, summary-LSAs (type 3) for each intra-area route of the other areas and for inter-area
  routes into non-backbone areas, with split horizon on next hop areas, and ASBR-summary-LSAs
  (type 4) for the ASBRs we reach (§12.4.3);
* AS-external-LSAs (§12.4.4) for the RIB routes of the redistributed protocols (type 1 or 2 metric
  from the configuration, forwarding address 0).

:func:`reconcile` then compares that set with our instances in the LSDB: a changed or missing LSA
gets a new instance (sequence number one past the installed one, §12.1.6), unless the previous
instance is younger than MinLSInterval, in which case it waits for the ``("ospf", "originate")``
timer (§12.4), or, for router- and network-LSAs, while adjacencies are still forming
(:func:`adjacency_hold`); an instance older than LSRefreshTime is refreshed (§12.4 (1)); an own LSA no longer
wanted, or a stale one received from a neighbor after a restart (§13.4), is flushed by premature
aging (§14.1).
"""

from __future__ import annotations

import dataclasses
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from routesim.proto.base import Log
from routesim.proto.ospf.flooding import flood, install, premature_age
from routesim.proto.ospf.interface import Interface, InterfaceState
from routesim.proto.ospf.lsdb import LsaKey, Scope
from routesim.proto.ospf.neighbor import NeighborState, should_be_adjacent
from routesim.proto.ospf.spf import BACKBONE
from routesim.wire.ospf import (
    AsbrSummaryLsa,
    AsExternalLsa,
    Lsa,
    LsaHeader,
    LsType,
    NetworkLsa,
    Options,
    RouterLink,
    RouterLinkType,
    RouterLsa,
    RouterLsaFlags,
    SummaryLsa,
)
from routesim.wire.ospf.lsa import INITIAL_SEQUENCE_NUMBER, LS_INFINITY, MAX_SEQUENCE_NUMBER

if TYPE_CHECKING:
    from routesim.proto.ospf.engine import OspfEngine

LSA_OPTIONS = Options.E


def _header(eng: OspfEngine, ls_type: LsType, lsid: IPv4Address) -> LsaHeader:
    return LsaHeader(0, LSA_OPTIONS, ls_type, lsid, eng.router_id, INITIAL_SEQUENCE_NUMBER)


def _full(ifc: Interface) -> list:
    return [n for n in ifc.neighbors.values() if n.state == NeighborState.FULL]


def router_links(eng: OspfEngine, area: IPv4Address) -> list[RouterLink]:
    """§12.4.1 links of one area's router-LSA."""
    links: list[RouterLink] = []
    for ifc in eng.ifaces.values():
        cfg = ifc.cfg
        if cfg.area != area or ifc.state in (InterfaceState.DOWN, InterfaceState.LOOPBACK):
            continue
        net = cfg.address.network
        stub = RouterLink(net.network_address, net.netmask, RouterLinkType.STUB, cfg.cost)
        if cfg.passive:
            links.append(stub)
        elif not ifc.broadcast:  # §12.4.1.1
            for nbr in _full(ifc):
                links.append(RouterLink(nbr.router_id, ifc.address, RouterLinkType.POINT_TO_POINT, cfg.cost))
            links.append(stub)
        else:  # §12.4.1.2
            full = _full(ifc)
            transit = ifc.state != InterfaceState.WAITING and (
                (ifc.state == InterfaceState.DR and full) or any(n.address == ifc.dr for n in full)
            )
            if transit:
                links.append(RouterLink(ifc.dr, ifc.address, RouterLinkType.TRANSIT, cfg.cost))
            else:
                links.append(stub)
    return links


def attached_areas(eng: OspfEngine) -> list[IPv4Address]:
    return sorted({i.cfg.area for i in eng.ifaces.values() if i.state != InterfaceState.DOWN})


def is_abr(eng: OspfEngine) -> bool:
    return len(attached_areas(eng)) > 1


def desired(eng: OspfEngine) -> dict[tuple[Scope, LsaKey], Lsa]:
    """Every LSA this router should be originating now, keyed like the LSDB (unsealed)."""
    out: dict[tuple[Scope, LsaKey], Lsa] = {}
    areas = attached_areas(eng)
    abr = len(areas) > 1
    externals = _externals(eng)
    flags = RouterLsaFlags(0)
    if abr:
        flags |= RouterLsaFlags.B
    if externals:
        flags |= RouterLsaFlags.E
    memo = eng.router_lsa_memo
    for area in areas:
        # reconcile runs at every adjacency step; building (encoding) the LSA only when its links
        # or flags changed keeps that cheap
        links = tuple(router_links(eng, area))
        lsa = memo.get(area)
        if lsa is None or lsa.flags != flags or lsa.links != links:
            lsa = memo[area] = RouterLsa(_header(eng, LsType.ROUTER, eng.router_id), flags, links)
        out[(area, lsa.header.key)] = lsa
    for ifc in eng.ifaces.values():  # §12.4.2
        full = _full(ifc)
        if ifc.broadcast and ifc.state == InterfaceState.DR and full and not ifc.cfg.passive:
            attached = (eng.router_id, *sorted(n.router_id for n in full))
            lsa = NetworkLsa(_header(eng, LsType.NETWORK, ifc.address), ifc.cfg.address.netmask, attached)
            out[(ifc.cfg.area, lsa.header.key)] = lsa
    if abr:
        for area in areas:
            out.update(_summaries(eng, area))
    for lsa in externals:
        out[(None, lsa.header.key)] = lsa
    return out


def _summaries(eng: OspfEngine, area: IPv4Address) -> dict[tuple[Scope, LsaKey], Lsa]:
    """§12.4.3 for one area (no area ranges: every route summarised on its own)."""
    out: dict[tuple[Scope, LsaKey], Lsa] = {}
    area_of_iface = {i.name: i.cfg.area for i in eng.ifaces.values()}
    for prefix, r in sorted(eng.spf_routes.items(), key=lambda kv: kv[0]):
        if r.path_type not in ("intra", "inter") or r.area == area or r.cost >= LS_INFINITY:
            continue
        if r.path_type == "inter" and area == BACKBONE:
            continue
        if any(area_of_iface.get(h.interface) == area for h in r.next_hops):
            continue
        lsa = SummaryLsa(_header(eng, LsType.SUMMARY_NETWORK, prefix.network_address), prefix.netmask, r.cost)
        out[(area, lsa.header.key)] = lsa
    for rid, rr in sorted(eng.asbr_routes.items()):
        if rr.area == area or (rr.path_type == "inter" and area == BACKBONE):
            continue
        if any(area_of_iface.get(h.interface) == area for h in rr.next_hops):
            continue
        lsa = AsbrSummaryLsa(_header(eng, LsType.SUMMARY_ASBR, rid), IPv4Address(0), rr.cost)
        out[(area, lsa.header.key)] = lsa
    return out


def _externals(eng: OspfEngine) -> list[AsExternalLsa]:
    """§12.4.4: one AS-external-LSA per redistributed RIB prefix not on an OSPF interface."""
    ospf_nets = {i.cfg.address.network for i in eng.ifaces.values()}
    out = []
    for prefix in sorted(eng.redistributed):
        if prefix in ospf_nets:
            continue
        out.append(
            AsExternalLsa(
                _header(eng, LsType.AS_EXTERNAL, prefix.network_address),
                prefix.netmask,
                e_bit=eng.config.external_metric_type == 2,
                metric=eng.config.external_metric,
            )
        )
    return out


#: The LSAs whose contents follow the adjacencies (§12.4.1 links to Full neighbors, §12.4.2 the
#: attached routers of a network): the ones :func:`adjacency_hold` applies to.
ADJACENCY_LSAS = (LsType.ROUTER, LsType.NETWORK)
_FORMING = (NeighborState.INIT, NeighborState.EX_START, NeighborState.EXCHANGE, NeighborState.LOADING)


def adjacencies_forming(eng: OspfEngine, now: float) -> str | None:
    """What is still on its way to Full (None: nothing): a neighbor in Init, ExStart, Exchange or
    Loading, or in 2-Way where §10.4 wants an adjacency; and, during the first hold after start, an
    interface on which no neighbor has been heard yet (its neighbors' Hellos are still to come),
    unless the topology says no OSPF router is there (``expect_neighbors``, a link to hosts)."""
    starting = now <= eng.started_at + eng.config.timers.adjacency_hold + 1e-6
    for ifc in eng.ifaces.values():
        if ifc.cfg.passive or ifc.state in (InterfaceState.DOWN, InterfaceState.LOOPBACK):
            continue
        if starting and not ifc.neighbors and ifc.cfg.expect_neighbors:
            return f"{ifc.name}: no neighbor heard yet"
        for nbr in ifc.neighbors.values():
            if nbr.state in _FORMING or (nbr.state == NeighborState.TWO_WAY and should_be_adjacent(ifc, nbr)):
                return f"{ifc.name}: neighbor {nbr.router_id} in {nbr.state.label}"
    return None


def adjacency_hold(eng: OspfEngine, now: float) -> float | None:
    """Until when a new router- or network-LSA instance waits, or None to originate it now.

    When several adjacencies form together (a router starting, a LAN coming up, a router restarting
    next to us), RFC 2328 as written originates the router-LSA at the first that reaches Full
    (§12.4 (4)) and again, MinLSInterval later, with the others: two instances flooded through the
    whole area where one would do. With ``adjacency_hold`` > 0 a new instance waits while
    :func:`adjacencies_forming`, at most ``adjacency_hold`` from the first change held, and goes
    out as soon as the last forming adjacency is Full (or gave up). A single adjacency coming up,
    or any going down, is never held: nothing else is forming then. The RFC leaves the moment of
    origination to the implementation within MinLSInterval; this only ever delays it, by a bound.
    A hold that reaches its bound is logged with what was still forming.
    """
    hold = eng.config.timers.adjacency_hold
    forming = adjacencies_forming(eng, now) if hold > 0 else None
    if forming is None:
        eng.hold_since, eng.hold_expired = None, False
        return None
    if eng.hold_since is None:
        eng.hold_since = now
    until = eng.hold_since + hold
    if now < until - 1e-6:
        return until
    if not eng.hold_expired:
        eng.hold_expired = True
        eng.emit(Log(f"ospf originate: adjacency hold of {hold:g}s over, still forming: {forming}"))
    return None


_NOT_ASKED = -1.0


def _same(a: Lsa, b: Lsa) -> bool:
    return a.header.options == b.header.options and a.raw[20:] == b.raw[20:]


def reconcile(eng: OspfEngine, now: float) -> None:
    """Bring our LSAs in the LSDB in line with :func:`desired` (see the module docstring)."""
    timers = eng.config.timers
    maxage = eng.lsdb.maxage
    want = desired(eng)
    eng.originate_at = None
    held: float | None = _NOT_ASKED
    for (scope, key), template in want.items():
        entry = eng.lsdb.get(scope, key)
        if entry is not None:
            age = entry.age(now, maxage)
            if age < maxage and _same(entry.lsa, template) and age < timers.lsrefresh:
                eng.lsdb.mark_own(scope, key)  # bumps the version if it changes: next_refresh()
                continue
        # the earliest a new instance may go: the end of an adjacency hold (router-/network-LSAs)
        # and MinLSInterval after the previous one (§12.4), whichever is later
        due: float | None = None
        if key[0] in ADJACENCY_LSAS:
            if held == _NOT_ASKED:
                held = adjacency_hold(eng, now)
            due = held
        last = eng.last_originated.get((scope, key))
        if last is not None and now - last < timers.min_ls_interval - 1e-6:
            due = max(due or 0.0, last + timers.min_ls_interval)
        if due is not None:
            eng.originate_at = due if eng.originate_at is None else min(eng.originate_at, due)
            continue
        seq = INITIAL_SEQUENCE_NUMBER
        if entry is not None:
            if entry.lsa.header.ls_sequence_number >= MAX_SEQUENCE_NUMBER:
                # §12.1.6: the instance with MaxSequenceNumber must be flushed before wrapping.
                if entry.age(now, maxage) < maxage:
                    premature_age(eng, scope, key, now)
                continue
            seq = entry.lsa.header.ls_sequence_number + 1
        header = dataclasses.replace(template.header, ls_sequence_number=seq)
        lsa = dataclasses.replace(template, header=header).sealed()
        install(eng, scope, lsa, now, own=True)
        flood(eng, scope, lsa, now)
        eng.last_originated[(scope, key)] = now
        eng.counters["lsa_originated"] += 1
        eng.emit(
            Log(
                f"ospf originate: type {key[0]} {key[1]} seq {seq & 0xFFFFFFFF:#010x}",
                fields=(
                    ("area", str(scope) if scope is not None else None),
                    ("type", key[0]),
                    ("lsid", str(key[1])),
                ),
            )
        )
    for scope, key, entry in list(eng.lsdb):
        mine = entry.own or key[2] == eng.router_id
        if not mine or (scope, key) in want or entry.age(now, maxage) >= maxage:
            continue
        premature_age(eng, scope, key, now)  # §13.4 / §14.1: no longer originated
        eng.counters["lsa_flushed_own"] += 1


def next_refresh(eng: OspfEngine) -> float | None:
    """When the oldest own LSA reaches LSRefreshTime (§12.4 (1))."""
    refresh = eng.config.timers.lsrefresh
    times = [
        e.installed_at + (refresh - e.lsa.header.age)
        for _, key, e in eng.lsdb.own_entries()
        if (e.own or key[2] == eng.router_id) and e.lsa.header.age < refresh
    ]
    return min(times) if times else None
