"""The neighbor (RFC 2328 §10.3) and interface (§9.3) state machines, cell by cell.

The expected transitions are transcribed from the RFC here, independently of the engine's table, and
every (state, event) pair is checked: pairs the RFC does not list must leave the state unchanged.
"""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest
from ospf_harness import engine, iface

from routesim.proto.base import SessionEvent
from routesim.proto.ospf.interface import (
    INTERFACE_FSM,
    InterfaceEvent,
    InterfaceState,
    interface_event,
)
from routesim.proto.ospf.neighbor import (
    NEIGHBOR_FSM,
    Neighbor,
    NeighborEvent,
    NeighborState,
    neighbor_event,
)
from routesim.wire.ospf import LsaHeader, LsType, Options

N, V = NeighborState, NeighborEvent
_GE_2WAY = (N.TWO_WAY, N.EX_START, N.EXCHANGE, N.LOADING, N.FULL)

# RFC 2328 §10.3, for a point-to-point interface (where an adjacency is always wanted, §10.4).
EXPECTED_P2P: dict[tuple[NeighborState, NeighborEvent], NeighborState] = {
    (N.DOWN, V.START): N.ATTEMPT,
    (N.ATTEMPT, V.HELLO_RECEIVED): N.INIT,
    (N.DOWN, V.HELLO_RECEIVED): N.INIT,
    (N.INIT, V.TWO_WAY_RECEIVED): N.EX_START,
    (N.EX_START, V.NEGOTIATION_DONE): N.EXCHANGE,
    (N.EXCHANGE, V.EXCHANGE_DONE): N.FULL,  # empty request list
    (N.LOADING, V.LOADING_DONE): N.FULL,
    (N.TWO_WAY, V.ADJ_OK): N.EX_START,
    **{(s, V.SEQ_NUMBER_MISMATCH): N.EX_START for s in (N.EXCHANGE, N.LOADING, N.FULL)},
    **{(s, V.BAD_LS_REQ): N.EX_START for s in (N.EXCHANGE, N.LOADING, N.FULL)},
    **{(s, ev): N.DOWN for s in N for ev in (V.KILL_NBR, V.LL_DOWN, V.INACTIVITY_TIMER)},
    **{(s, V.ONE_WAY): N.INIT for s in _GE_2WAY},
}


def _setup(network_type: str = "point-to-point", *, dr_other: bool = False):
    eng = engine("10.0.0.1", iface("e0", "10.0.12.1/24", network_type=network_type))
    eng.start(0.0)
    ifc = eng.ifaces["e0"]
    if dr_other:
        # we are DROther on a LAN whose DR (.9) and BDR (.8) are other routers, higher priority
        ifc.state = InterfaceState.DR_OTHER
        ifc.dr, ifc.bdr = IPv4Address("10.0.12.9"), IPv4Address("10.0.12.8")
        for last in (9, 8):
            addr = IPv4Address(f"10.0.12.{last}")
            ifc.neighbors[addr] = Neighbor(
                IPv4Address(f"10.0.0.{last}"), addr, "e0", state=N.FULL, priority=10, dr=ifc.dr, bdr=ifc.bdr
            )
    return eng, ifc


def _neighbor(eng, ifc, state: NeighborState) -> Neighbor:
    nbr = Neighbor(IPv4Address("10.0.0.2"), IPv4Address("10.0.12.2"), "e0", state=state, priority=1)
    ifc.neighbors[nbr.address] = nbr
    return nbr


@pytest.mark.parametrize("state", list(N), ids=lambda s: s.label)
@pytest.mark.parametrize("event", list(V), ids=lambda e: e.value)
def test_neighbor_fsm_every_cell_p2p(state: NeighborState, event: NeighborEvent) -> None:
    eng, ifc = _setup()
    nbr = _neighbor(eng, ifc, state)
    eng._out = []
    neighbor_event(eng, ifc, nbr, event, 1.0)
    expected = EXPECTED_P2P.get((state, event), state)
    assert nbr.state == expected
    changes = [a for a in eng._out if isinstance(a, SessionEvent)]
    if expected != state:
        assert changes == [SessionEvent("ospf", "10.0.0.2", state.label, expected.label, event.value)]
        if expected == N.DOWN:
            assert nbr.address not in ifc.neighbors  # the neighbor structure is deleted
    else:
        assert changes == []


def test_table_cells_are_the_rfc_ones() -> None:
    """Every table cell that changes state on a p2p interface is in the RFC transcription."""
    for (state, event), (_action, nxt) in NEIGHBOR_FSM.items():
        if nxt is not None and nxt != state:
            assert EXPECTED_P2P[(state, event)] == nxt


def test_exchange_done_with_requests_goes_loading() -> None:
    eng, ifc = _setup()
    nbr = _neighbor(eng, ifc, N.EXCHANGE)
    h = LsaHeader(1, Options.E, LsType.ROUTER, IPv4Address("9.9.9.9"), IPv4Address("9.9.9.9"), 5)
    nbr.ls_requests[h.key] = h
    neighbor_event(eng, ifc, nbr, V.EXCHANGE_DONE, 1.0)
    assert nbr.state == N.LOADING


@pytest.mark.parametrize(
    ("start", "event", "nbr_is_dr", "expected"),
    [
        (N.INIT, V.TWO_WAY_RECEIVED, False, N.TWO_WAY),  # two DROthers: no adjacency (§10.4)
        (N.INIT, V.TWO_WAY_RECEIVED, True, N.EX_START),  # the neighbor is the DR
        (N.TWO_WAY, V.ADJ_OK, False, N.TWO_WAY),
        (N.TWO_WAY, V.ADJ_OK, True, N.EX_START),
        (N.FULL, V.ADJ_OK, False, N.TWO_WAY),  # adjacency no longer wanted: lists cleared
        (N.FULL, V.ADJ_OK, True, N.FULL),
    ],
)
def test_broadcast_adjacency_decisions(start, event, nbr_is_dr, expected) -> None:
    eng, ifc = _setup("broadcast", dr_other=True)
    nbr = _neighbor(eng, ifc, start)
    if nbr_is_dr:  # .2 is the DR (it declares itself, and everyone agrees)
        ifc.dr = nbr.dr = nbr.address
        nbr.bdr = ifc.bdr
        for other in ifc.neighbors.values():
            other.dr = nbr.address
    nbr.retransmit[(1, IPv4Address(1), IPv4Address(1))] = None  # type: ignore[assignment]
    neighbor_event(eng, ifc, nbr, event, 1.0)
    assert nbr.state == expected
    if expected == N.TWO_WAY and start == N.FULL:
        assert nbr.retransmit == {}


def test_entering_exstart_claims_master_and_sends_init_dd() -> None:
    from routesim.proto.base import Send
    from routesim.wire.ospf import DatabaseDescription, DdFlags, decode_packet

    eng, ifc = _setup()
    nbr = _neighbor(eng, ifc, N.INIT)
    eng._out = []
    neighbor_event(eng, ifc, nbr, V.TWO_WAY_RECEIVED, 1.0)
    sends = [decode_packet(a.data).body for a in eng._out if isinstance(a, Send)]
    dd = next(b for b in sends if isinstance(b, DatabaseDescription))
    assert dd.flags == DdFlags.I | DdFlags.M | DdFlags.MS and dd.lsa_headers == ()
    assert nbr.master and nbr.dd_seq == dd.dd_sequence_number
    assert nbr.dd_rxmt_at == 1.0 + ifc.cfg.retransmit_interval


# --- interface machine (§9.3) ------------------------------------------------------------------

S, E = InterfaceState, InterfaceEvent


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"network_type": "point-to-point"}, S.POINT_TO_POINT),
        ({"network_type": "broadcast"}, S.WAITING),
        ({"network_type": "broadcast", "priority": 0}, S.DR_OTHER),
    ],
)
def test_interface_up(kw, expected) -> None:
    eng = engine("10.0.0.1", iface("e0", "10.0.12.1/24", **kw))
    eng.start(0.0)
    ifc = eng.ifaces["e0"]
    assert ifc.state == expected
    assert ifc.hello_at == 0.0
    assert (ifc.wait_at is not None) == (expected == S.WAITING)
    if expected == S.WAITING:
        assert ifc.wait_at == ifc.cfg.dead_interval


@pytest.mark.parametrize("state", list(S), ids=lambda s: s.label)
@pytest.mark.parametrize("event", [e for e in E if e != E.INTERFACE_UP], ids=lambda e: e.value)
def test_interface_fsm_cells(state: InterfaceState, event: InterfaceEvent) -> None:
    eng = engine("10.0.0.1", iface("e0", "10.0.12.1/24"))
    eng.start(0.0)
    ifc = eng.ifaces["e0"]
    ifc.state = state
    interface_event(eng, ifc, event, 1.0)
    if event == E.INTERFACE_DOWN:
        assert ifc.state == S.DOWN
    elif event == E.LOOP_IND:
        assert ifc.state == S.LOOPBACK
    elif (state, event) == (S.LOOPBACK, E.UNLOOP_IND):
        assert ifc.state == S.DOWN
    elif (state, event) in INTERFACE_FSM and INTERFACE_FSM[(state, event)][0] == "elect":
        assert ifc.state == S.DR  # alone on the LAN: we elect ourselves (§9.4)
        assert ifc.dr == ifc.address and ifc.bdr == IPv4Address(0)
    else:
        assert ifc.state == state


def test_interface_down_kills_neighbors() -> None:
    eng, ifc = _setup()
    nbr = _neighbor(eng, ifc, N.FULL)
    interface_event(eng, ifc, E.INTERFACE_DOWN, 1.0)
    assert nbr.state == N.DOWN and ifc.neighbors == {}
