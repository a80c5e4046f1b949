"""The flooding procedure (RFC 2328 §13): receiving Link State Updates, installing, flooding out,
retransmission lists, direct and delayed acknowledgments, MinLSArrival, self-originated LSAs, and
the removal of MaxAge LSAs (§14).

Receive path (:func:`receive_lsu`), per LSA, in the order of §13: (1) LS checksum, (2) LS type,
(4) a MaxAge LSA we do not hold is acknowledged and dropped, (5) a newer instance is checked against
MinLSArrival, flooded (§13.3), installed (§13.2) and perhaps acknowledged (§13.5 table), and, if it
is our own, handed to origination (§13.4), (6) an instance on the Link State Request list is a
BadLSReq, (7) the same instance is an implied acknowledgment or gets a direct one, (8) an older
instance is answered with our copy (at most once per MinLSArrival).

Flooding out (:func:`flood`, §13.3): every neighbor in Exchange or later on every interface of the
LSA's scope gets it on its retransmission list (Exchange/Loading neighbors only if they do not already
ask for a newer one), then the LSA goes out as one multicast per interface, except back to the DR/BDR
that sent it and out of the receiving interface when we are Backup. Retransmissions go unicast every
RxmtInterval until acknowledged (§13.6), acknowledgments per §13.5 and §13.7.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from routesim.proto.base import Log
from routesim.proto.ospf.interface import Interface, InterfaceState
from routesim.proto.ospf.lsdb import Scope, compare_instances, is_max_sequence, scope_of
from routesim.proto.ospf.neighbor import (
    PACKET_OVERHEAD,
    Neighbor,
    NeighborEvent,
    NeighborState,
    neighbor_event,
    request_satisfied,
)
from routesim.wire.ospf import LinkStateAck, LinkStateUpdate, Lsa, LsaHeader, LsType
from routesim.wire.ospf.header import ALL_D_ROUTERS, ALL_SPF_ROUTERS

if TYPE_CHECKING:
    from routesim.proto.ospf.engine import OspfEngine

N = NeighborState
_KNOWN_TYPES = frozenset(
    int(t)
    for t in (LsType.ROUTER, LsType.NETWORK, LsType.SUMMARY_NETWORK, LsType.SUMMARY_ASBR, LsType.AS_EXTERNAL)
)


def _flood_dst(ifc: Interface) -> IPv4Address:
    """§13.3 (5): DR and Backup flood to AllSPFRouters, others to AllDRouters; p2p AllSPFRouters."""
    if ifc.broadcast and not ifc.is_dr_or_backup():
        return ALL_D_ROUTERS
    return ALL_SPF_ROUTERS


def _direct_dst(ifc: Interface, nbr: Neighbor) -> IPv4Address:
    return nbr.address if ifc.broadcast else ALL_SPF_ROUTERS


def send_lsas(
    eng: OspfEngine,
    ifc: Interface,
    dst: IPv4Address,
    lsas: Iterable[Lsa],
    aged: dict[tuple[int, int], Lsa] | None = None,
) -> None:
    """Send LSAs in as few Link State Updates as the MTU allows; LS age += InfTransDelay (§13.3).

    ``aged`` memoises the aged copies by (id of the LSA, new age) when the same LSAs go out of
    several interfaces (the caller keeps the originals alive for as long as the dict lives).
    """
    room = ifc.cfg.mtu - PACKET_OVERHEAD - 4
    batch: list[Lsa] = []
    size = 0
    maxage = eng.lsdb.maxage
    for lsa in lsas:
        h = lsa.header
        if h.age < maxage and not h.do_not_age:
            age = min(maxage, h.age + ifc.cfg.transmit_delay)
            if aged is None:
                lsa = lsa.with_age(age)
            else:
                memo = (id(lsa), age)
                copy = aged.get(memo)
                if copy is None:
                    copy = aged[memo] = lsa.with_age(age)
                lsa = copy
        if batch and size + len(lsa.raw) > room:
            eng.send(ifc, dst, LinkStateUpdate(tuple(batch)))
            batch, size = [], 0
        batch.append(lsa)
        size += len(lsa.raw)
    if batch:
        eng.send(ifc, dst, LinkStateUpdate(tuple(batch)))


def interfaces_for(eng: OspfEngine, scope: Scope) -> list[Interface]:
    """The interfaces an LSA of ``scope`` floods over (§13.3: area scope, or every area for type 5)."""
    return [i for i in eng.ifaces.values() if i.active and (scope is None or i.cfg.area == scope)]


def flood(
    eng: OspfEngine,
    scope: Scope,
    lsa: Lsa,
    now: float,
    *,
    from_ifc: Interface | None = None,
    from_nbr: Neighbor | None = None,
) -> bool:
    """§13.3; returns True when the LSA was flooded back out of the receiving interface."""
    back_out = False
    key = lsa.header.key
    for ifc in interfaces_for(eng, scope):
        added = False
        for nbr in ifc.neighbors.values():
            if nbr.state < N.EXCHANGE:  # (1a)
                continue
            if nbr.state in (N.EXCHANGE, N.LOADING) and key in nbr.ls_requests:  # (1b)
                cmp = compare_instances(lsa.header, nbr.ls_requests[key], maxage=eng.lsdb.maxage)
                if cmp < 0:
                    continue
                request_satisfied(eng, ifc, nbr, key, now)
                if cmp == 0:
                    continue
            if nbr is from_nbr:  # (1c)
                continue
            nbr.retransmit[key] = lsa  # (1d)
            nbr.retransmit_due[key] = now + ifc.cfg.retransmit_interval
            if nbr.lsu_rxmt_at is None:
                nbr.lsu_rxmt_at = now + ifc.cfg.retransmit_interval
            added = True
        if not added:  # (2)
            continue
        if ifc is from_ifc and from_nbr is not None:
            if from_nbr.address in (ifc.dr, ifc.bdr):  # (3)
                continue
            if ifc.state == InterfaceState.BACKUP:  # (4)
                continue
        if ifc is from_ifc:
            back_out = True
        queue_flood(eng, ifc, _flood_dst(ifc), lsa)  # (5)
        eng.counters["lsa_flooded"] += 1
    return back_out


def queue_flood(eng: OspfEngine, ifc: Interface, dst: IPv4Address, lsa: Lsa) -> None:
    """§13.3 (5) sends the LSA out of ``ifc``; §13.5/§A.3.5 let one Link State Update carry many
    LSAs, so the sends of one engine call are gathered here and leave together, per interface and
    destination, from :func:`flush_floods` at the end of the call. A later instance of the same LSA
    queued in the same call replaces the earlier one (it is the one on the retransmission lists)."""
    eng.flood_queue.setdefault((ifc.name, dst), {})[lsa.header.key] = lsa


def flush_floods(eng: OspfEngine) -> None:
    """Send what :func:`queue_flood` gathered: one LSU per interface and destination (split at the
    MTU by :func:`send_lsas`), in the order the LSAs were first queued."""
    if not eng.flood_queue:
        return
    queue, eng.flood_queue = eng.flood_queue, {}
    aged: dict[tuple[int, int], Lsa] = {}
    for (name, dst), lsas in queue.items():
        ifc = eng.ifaces.get(name)
        if ifc is not None and ifc.active:
            send_lsas(eng, ifc, dst, lsas.values(), aged)


def remove_from_retransmission_lists(
    eng: OspfEngine, key: tuple, scope: Scope, *, keep: Lsa | None = None
) -> None:
    """Drop ``key`` from every neighbor's retransmission list, except where it is ``keep`` itself."""
    for ifc in interfaces_for(eng, scope):
        for nbr in ifc.neighbors.values():
            if keep is not None and nbr.retransmit.get(key) is keep:
                continue
            nbr.retransmit.pop(key, None)


def install(
    eng: OspfEngine, scope: Scope, lsa: Lsa, now: float, *, own: bool = False, requested: bool = False
) -> None:
    """§13.2: install, and schedule the routing calculation if the contents changed.

    ``requested``: the LSA answers our LS Request (§10.9). §13 (5a) discards a newer instance
    arriving less than MinLSArrival after the database copy only when that copy was "received via
    flooding" (Appendix B: MinLSArrival is the least time "between reception of new LSA instances
    during flooding"); a copy from the database exchange is not, so the newer instance its
    originator floods a few milliseconds later (typical on a LAN, where the DR hands out an
    instance the originator is replacing as its adjacencies come up) is taken at once instead of
    being dropped and retransmitted a whole RxmtInterval later. FRR and BIRD time every installed
    copy alike.

    §13 (5c) removes the *current database copy* from the retransmission lists: the instance
    being installed, which (5b) has just put on them when flooding it, stays there until acked
    (otherwise a neighbor that drops it, e.g. by MinLSArrival (5a), never gets it again).
    """
    remove_from_retransmission_lists(eng, lsa.header.key, scope, keep=lsa)
    _, changed = eng.lsdb.install(scope, lsa, now, own=own, requested=requested)
    h = lsa.header
    eng.emit(
        Log(
            f"ospf lsdb: installed type {int(h.ls_type)} {h.link_state_id} adv {h.advertising_router} "
            f"seq {h.ls_sequence_number & 0xFFFFFFFF:#010x} age {h.age}",
            level="debug",
            fields=(
                ("area", str(scope) if scope is not None else None),
                ("type", int(h.ls_type)),
                ("lsid", str(h.link_state_id)),
                ("adv_router", str(h.advertising_router)),
                ("seq", f"{h.ls_sequence_number & 0xFFFFFFFF:#010x}"),
            ),
        )
    )
    if changed:
        eng.schedule_spf(now)
        if lsa.header.age >= eng.lsdb.maxage:
            eng.maxage_check_due = True


def any_neighbor_exchanging(eng: OspfEngine) -> bool:
    return any(n.state in (N.EXCHANGE, N.LOADING) for i in eng.ifaces.values() for n in i.neighbors.values())


def receive_lsu(eng: OspfEngine, ifc: Interface, nbr: Neighbor, lsu: LinkStateUpdate, now: float) -> None:
    """§13: the whole receive procedure for every LSA of a Link State Update."""
    if nbr.state < N.EXCHANGE:
        eng.drop("lsu-wrong-state")
        return
    maxage = eng.lsdb.maxage
    direct_acks: list[LsaHeader] = []
    for lsa in lsu.lsas:
        h = lsa.header
        if not lsa.checksum_ok:  # (1)
            eng.counters["lsa_bad_checksum"] += 1
            continue
        if int(h.ls_type) not in _KNOWN_TYPES:  # (2)
            eng.counters["lsa_unknown_type"] += 1
            continue
        scope = scope_of(h.ls_type, ifc.cfg.area)
        entry = eng.lsdb.get(scope, h.key)
        if h.age >= maxage and entry is None and not any_neighbor_exchanging(eng):  # (4)
            direct_acks.append(h)
            continue
        db_header = entry.header(now, maxage) if entry else None
        cmp = 1 if db_header is None else compare_instances(h, db_header, maxage=maxage)
        if cmp > 0:  # (5)
            if (
                entry is not None
                and not entry.requested
                and now - entry.installed_at < eng.config.timers.min_ls_arrival
            ):
                eng.counters["lsa_min_arrival_drops"] += 1  # (5a)
                continue
            # an answer to our LS Request of the database exchange (§10.9), not a flooded copy:
            requested = h.key in nbr.ls_requests
            back_out = flood(eng, scope, lsa, now, from_ifc=ifc, from_nbr=nbr)  # (5b)
            own = h.advertising_router == eng.router_id or (
                h.ls_type == LsType.NETWORK and h.link_state_id in eng.own_addresses
            )
            install(eng, scope, lsa, now, own=own, requested=requested)  # (5c, 5d)
            eng.counters["lsa_installed"] += 1
            if not back_out:  # (5e), §13.5 table
                if ifc.state != InterfaceState.BACKUP or nbr.address == ifc.dr:
                    _delay_ack(eng, ifc, h, now)
            if own:  # (5f), §13.4: origination decides to advance or flush
                eng.counters["self_originated_received"] += 1
                eng.originate_soon()
            continue
        if h.key in nbr.ls_requests:  # (6)
            neighbor_event(eng, ifc, nbr, NeighborEvent.BAD_LS_REQ, now)
            return
        if cmp == 0:  # (7)
            if h.key in nbr.retransmit:  # implied acknowledgment
                del nbr.retransmit[h.key]
                if ifc.state == InterfaceState.BACKUP and nbr.address == ifc.dr:
                    _delay_ack(eng, ifc, h, now)
            else:
                direct_acks.append(h)
            continue
        # (8) our copy is newer
        assert entry is not None and db_header is not None
        if db_header.age >= maxage and is_max_sequence(db_header):
            continue
        if now - entry.sent_back_at >= eng.config.timers.min_ls_arrival:
            entry.sent_back_at = now
            send_lsas(eng, ifc, _direct_dst(ifc, nbr), [entry.current(now, maxage)])
    if direct_acks:
        eng.send(ifc, _direct_dst(ifc, nbr), LinkStateAck(tuple(direct_acks)))


#: timers fire a hair late or early; an LSA due within this much of "now" goes now
_DUE_EPSILON = 1e-3


def _delay_ack(eng: OspfEngine, ifc: Interface, header: LsaHeader, now: float) -> None:
    """§13.5: delayed acks are bundled and sent well within RxmtInterval: after a quarter of it,
    1 s at most (RFC timers: 1 s of 5). At half of a 2 s RxmtInterval, an ack held up by a busy
    router often arrived after the sender had retransmitted."""
    ifc.delayed_acks.append(header)
    if ifc.ack_at is None:
        ifc.ack_at = now + min(1.0, ifc.cfg.retransmit_interval / 4)


def send_delayed_acks(eng: OspfEngine, ifc: Interface, now: float) -> None:
    """§13.5: delayed acks go to AllSPFRouters from DR/Backup and on p2p, else AllDRouters."""
    ifc.ack_at = None
    if not ifc.delayed_acks or not ifc.active:
        ifc.delayed_acks.clear()
        return
    room = max(1, (ifc.cfg.mtu - PACKET_OVERHEAD) // 20)
    headers, ifc.delayed_acks = ifc.delayed_acks, []
    for i in range(0, len(headers), room):
        eng.send(ifc, _flood_dst(ifc), LinkStateAck(tuple(headers[i : i + room])))


def receive_ack(eng: OspfEngine, ifc: Interface, nbr: Neighbor, ack: LinkStateAck, now: float) -> None:
    """§13.7: an acknowledged instance leaves the neighbor's retransmission list."""
    if nbr.state < N.EXCHANGE:
        eng.drop("lsack-wrong-state")
        return
    for h in ack.lsa_headers:
        pending = nbr.retransmit.get(h.key)
        if pending is None:
            continue
        if compare_instances(h, pending.header, maxage=eng.lsdb.maxage) == 0:
            del nbr.retransmit[h.key]
            if pending.header.age >= eng.lsdb.maxage:
                eng.maxage_check_due = True  # a flushed LSA may now leave the database (§14)
        else:
            eng.counters["lsack_questionable"] += 1
    if not nbr.retransmit:
        nbr.lsu_rxmt_at = None


def lsu_retransmit(eng: OspfEngine, ifc: Interface, nbr: Neighbor, now: float) -> None:
    """§13.6: an LSA not acknowledged within RxmtInterval of being sent goes again, unicast.

    Each LSA on the list has its own due time: one flooded a moment before the neighbor's timer
    fires has not been left unacknowledged for RxmtInterval yet (its delayed ack may be on the
    way), so it waits for its own turn instead of going again with the older ones.
    """
    if not nbr.retransmit or nbr.state < N.EXCHANGE:
        nbr.lsu_rxmt_at = None
        nbr.retransmit_due.clear()
        return
    due_map, rxmt = nbr.retransmit_due, ifc.cfg.retransmit_interval
    for key in [k for k in due_map if k not in nbr.retransmit]:
        del due_map[key]
    limit = now + _DUE_EPSILON
    due = [lsa for key, lsa in nbr.retransmit.items() if due_map.get(key, now) <= limit]
    if due:
        eng.counters["lsu_retransmits"] += 1
        send_lsas(eng, ifc, _direct_dst(ifc, nbr), due)
        for lsa in due:
            due_map[lsa.header.key] = now + rxmt
    nbr.lsu_rxmt_at = min(due_map.get(k, now + rxmt) for k in nbr.retransmit)


def premature_age(eng: OspfEngine, scope: Scope, key: tuple, now: float) -> None:
    """§14.1: flush an LSA by setting its age to MaxAge and flooding it."""
    entry = eng.lsdb.get(scope, key)
    if entry is None:
        return
    lsa = entry.lsa.with_age(eng.lsdb.maxage)
    install(eng, scope, lsa, now, own=entry.own)
    flood(eng, scope, lsa, now)


def age_database(eng: OspfEngine, now: float) -> None:
    """§14: LSAs that reached MaxAge by aging are flooded; MaxAge LSAs nobody still needs go."""
    eng.maxage_check_due = False  # set again when a neighbor leaves Exchange/Loading or acks a flush
    maxage = eng.lsdb.maxage
    for scope, _key, entry in list(eng.lsdb):
        if entry.lsa.header.age < maxage and entry.age(now, maxage) >= maxage:
            lsa = entry.lsa.with_age(maxage)
            install(eng, scope, lsa, now, own=entry.own)
            flood(eng, scope, lsa, now)
    if any_neighbor_exchanging(eng):
        return
    for scope, key, entry in list(eng.lsdb):
        if entry.age(now, maxage) < maxage:
            continue
        if any(key in n.retransmit for i in interfaces_for(eng, scope) for n in i.neighbors.values()):
            continue
        eng.lsdb.remove(scope, key)
        eng.counters["lsa_flushed"] += 1
        eng.emit(
            Log(
                f"ospf lsdb: removed MaxAge type {key[0]} {key[1]} adv {key[2]}",
                level="debug",
                fields=(("type", key[0]), ("lsid", str(key[1])), ("adv_router", str(key[2]))),
            )
        )


def next_aging_deadline(eng: OspfEngine) -> float | None:
    """The earliest moment an LSA reaches MaxAge by aging (the ``("ospf", "age")`` timer)."""
    return eng.lsdb.earliest_maxage()
