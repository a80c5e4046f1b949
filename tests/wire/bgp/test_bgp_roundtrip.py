"""Hypothesis: generated messages round-trip; arbitrary bytes give a message or a BgpError, nothing else."""

from __future__ import annotations

from ipaddress import IPv4Address

from bgp_strategies import prefixes, updates
from bgp_testutil import DATA_DIR, load_hex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routesim.wire.bgp import (
    BgpError,
    ErrorHandling,
    Framer,
    Keepalive,
    Negotiated,
    Notification,
    Open,
    RouteRefresh,
    UnknownCapability,
    Update,
    decode_message,
    decode_prefixes,
    encode_prefixes,
)
from routesim.wire.bgp.capabilities import ExtendedMessage, FourOctetAs, Multiprotocol, RouteRefreshCapability

NEG4 = Negotiated(four_octet_as=True)
NEG2 = Negotiated(four_octet_as=False)
CORPUS = [raw for path in sorted(DATA_DIR.glob("bgp-*.hex")) for _d, raw in load_hex(path)]


@given(st.lists(prefixes, max_size=50))
def test_prefixes_roundtrip(ps: list) -> None:
    assert decode_prefixes(encode_prefixes(ps)) == ps


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(updates(four_octet=True))
def test_update_roundtrip_four_octet(update: Update) -> None:
    data = update.encode(NEG4)
    assert decode_message(data, NEG4) == update
    assert Update.decode(data, NEG4).encode(NEG4) == data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(updates(four_octet=False))
def test_update_roundtrip_two_octet(update: Update) -> None:
    data = update.encode(NEG2)
    decoded = decode_message(data, NEG2)
    assert decoded == update and decoded.errors == ()


capabilities = st.lists(
    st.one_of(
        st.builds(Multiprotocol, st.integers(0, 65535), st.integers(0, 255)),
        st.builds(RouteRefreshCapability, st.booleans()),
        st.builds(FourOctetAs, st.integers(1, 2**32 - 1)),
        st.just(ExtendedMessage()),
        st.builds(UnknownCapability, st.sampled_from([5, 64, 69, 70, 71, 73, 200]), st.binary(max_size=8)),
    ),
    max_size=8,
)


@given(
    st.integers(1, 65535),
    st.integers(0, 65535).filter(lambda h: h not in (1, 2)),
    st.integers(1, 2**32 - 1),
    capabilities,
    st.booleans(),
)
def test_open_roundtrip(my_as: int, hold: int, ident: int, caps: list, split: bool) -> None:
    layout = (1,) * len(caps) if split and len(caps) > 1 else None
    msg = Open(
        my_as=my_as,
        hold_time=hold,
        bgp_identifier=IPv4Address(ident),
        capabilities=tuple(caps),
        parameter_layout=layout,
    )
    data = msg.encode()
    decoded = decode_message(data)
    assert decoded == msg and decoded.encode() == data


@given(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=64))
def test_notification_roundtrip(code: int, subcode: int, data: bytes) -> None:
    n = Notification(code, subcode, data)
    assert decode_message(n.encode()) == n


@given(st.integers(0, 65535), st.integers(0, 255), st.integers(0, 255))
def test_route_refresh_roundtrip(afi: int, safi: int, subtype: int) -> None:
    rr = RouteRefresh(afi, safi, subtype)
    assert decode_message(rr.encode()) == rr
    assert decode_message(Keepalive().encode()) == Keepalive()


def _decode_only_typed(data: bytes, negotiated: Negotiated) -> None:
    try:
        m = decode_message(data, negotiated)
    except BgpError as exc:
        assert 1 <= exc.code <= 7
        assert exc.handling == ErrorHandling.SESSION_RESET
        return
    if isinstance(m, Update):
        assert all(e.handling < ErrorHandling.SESSION_RESET for e in m.errors)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=120), st.booleans())
def test_any_bytes_decode_or_bgp_error(data: bytes, four: bool) -> None:
    _decode_only_typed(data, NEG4 if four else NEG2)


@settings(max_examples=800, deadline=None)
@given(
    st.sampled_from(CORPUS),
    st.lists(st.tuples(st.integers(16, 4095), st.integers(0, 255)), min_size=1, max_size=4),
    st.booleans(),
)
def test_mutated_real_messages_decode_or_bgp_error(raw: bytes, flips: list, four: bool) -> None:
    """Corrupt bytes after the marker of a real message: much deeper than random bytes reach."""
    data = bytearray(raw)
    for pos, value in flips:
        data[pos % len(data)] = value if pos % len(data) >= 16 else data[pos % len(data)]
    _decode_only_typed(bytes(data), NEG4 if four else NEG2)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.lists(st.integers(1, 50), max_size=10))
def test_framer_only_raises_bgp_error(data: bytes, cuts: list) -> None:
    framer = Framer()
    stream = b"".join(CORPUS[:5]) + data
    pos = 0
    try:
        for cut in [*cuts, len(stream)]:
            for m in framer.feed(stream[pos : pos + cut]):
                assert len(m) >= 19
            pos += cut
    except BgpError:
        pass
