"""The engine's lean UPDATE path (``wire.bgp.lean``) ends where the ``Update`` path does: same
actions (RIB output, logs, NOTIFICATIONs), Adj-RIB-In, Loc-RIB and counters."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from bench_ingest import PEER, established_engine
from hypothesis import given, settings
from hypothesis import strategies as st

from routesim.proto.bgp import TcpData
from routesim.proto.bgp import session as session_module
from routesim.wire.bgp import Negotiated, NextHop, Update

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "wire" / "bgp"))
from bgp_strategies import updates

NEG = Negotiated(four_octet_as=True)


@st.composite
def streams(draw: st.DrawFn) -> list[bytes]:
    out = []
    for u in draw(st.lists(updates(four_octet=True), min_size=1, max_size=12)):
        if draw(st.booleans()):  # a next hop that resolves (the peer), so routes reach the Loc-RIB
            u = Update(
                u.withdrawn,
                tuple(NextHop(PEER) if isinstance(a, NextHop) else a for a in u.attributes),
                u.nlri,
            )
        raw = bytearray(u.encode(NEG))
        if draw(st.integers(0, 5)) == 0 and len(raw) > 23:  # now and then a damaged one
            raw[draw(st.integers(19, len(raw) - 1))] = draw(st.integers(0, 255))
        out.append(bytes(raw))
    return out


def run(stream: list[bytes], *, lean: bool, monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as m:
        if not lean:
            m.setattr(session_module, "decode_lean", lambda data, negotiated: None)
        engine = established_engine(install_routes=True)
        actions = [engine.handle(TcpData("c", msg), 1.0 + i) for i, msg in enumerate(stream)]
    peer = engine.peers[PEER]
    return (
        actions,
        dict(peer.rib_in.routes),
        set(peer.rib_in.rejected),
        {k: v.address for k, v in engine.loc.items()},
        dict(engine.counters),
        str(peer.session.state),
    )


@settings(max_examples=150, deadline=None)
@given(streams())
def test_lean_and_full_paths_agree(stream: list[bytes]) -> None:
    with pytest.MonkeyPatch.context() as mp:
        assert run(stream, lean=True, monkeypatch=mp) == run(stream, lean=False, monkeypatch=mp)
