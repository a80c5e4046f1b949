"""``decode_lean`` against ``Update.decode``: equal values for ordinary UPDATEs, None for the rest.

The property that keeps the fast path safe: whenever ``decode_lean`` returns something, the full
decoder finds no error at all and gives the same prefixes and attribute values; so every malformed
message still goes through ``Update.decode`` and its RFC 4271 / 7606 reaction.
"""

from __future__ import annotations

from bgp_strategies import updates
from hypothesis import given, settings
from hypothesis import strategies as st
from test_bgp_malformed import CASES, MANDATORY, NLRI, attr, update

from routesim.wire.bgp import (
    AsPath,
    BgpError,
    Communities,
    LocalPref,
    MultiExitDisc,
    Negotiated,
    NextHop,
    Origin,
    Update,
)
from routesim.wire.bgp.lean import decode_lean

NEG4 = Negotiated(four_octet_as=True)
IBGP4 = Negotiated(four_octet_as=True, internal=True)
_LEAN_TYPES = {Origin, AsPath, NextHop, MultiExitDisc, LocalPref, Communities}


def full(data: bytes, neg: Negotiated) -> Update | None:
    try:
        return Update.decode(data, neg)
    except BgpError:
        return None


def assert_same(data: bytes, neg: Negotiated) -> None:
    """If lean decodes ``data``, the full decoder must find no error and the same values."""
    lean = decode_lean(data, neg)
    u = full(data, neg)
    if lean is None:
        return
    assert u is not None and not u.errors
    assert lean.withdrawn == [(a << 6) | n for a, n in u.withdrawn]
    assert lean.nlri == [(a << 6) | n for a, n in u.nlri]
    assert {type(a) for a in u.attributes} <= _LEAN_TYPES
    assert lean.origin == (u.origin.value if u.origin else None)
    assert lean.as_path == u.as_path
    assert (lean.as_path is None) or lean.as_path.wire_flags is None
    assert lean.next_hop == (u.next_hop.address if u.next_hop else None)
    assert lean.med == (u.med.value if u.med else None)
    assert lean.local_pref == (u.local_pref.value if u.local_pref else None)
    assert lean.communities == (u.communities.values if u.communities else ())


def ordinary(u: Update) -> bool:
    """What the lean decoder must take (so the fast path is really used)."""
    if not {type(a) for a in u.attributes} <= _LEAN_TYPES:
        return False
    return bool(u.nlri) or not u.attributes


@settings(max_examples=300, deadline=None)
@given(updates(four_octet=True), st.booleans())
def test_lean_equals_full_decode(u: Update, internal: bool) -> None:
    neg = IBGP4 if internal else NEG4
    data = u.encode(neg)
    assert_same(data, neg)
    decoded = full(data, neg)
    if decoded is not None and not decoded.errors and ordinary(decoded):
        assert decode_lean(data, neg) is not None


@settings(max_examples=500, deadline=None)
@given(updates(four_octet=True), st.data())
def test_lean_never_accepts_what_the_full_decoder_rejects(u: Update, data: st.DataObject) -> None:
    raw = bytearray(u.encode(NEG4))
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(19, len(raw) - 1)) if len(raw) > 19 else 18
        raw[i] = data.draw(st.integers(0, 255))
    assert_same(bytes(raw), NEG4)
    assert_same(bytes(raw), IBGP4)


def test_malformed_corpus_is_never_lean() -> None:
    for name, data, neg, *_ in CASES:
        for n in (neg, NEG4, IBGP4):
            assert_same(data, n)
            if data[18:19] == b"\x02" and (full(data, n) is None or full(data, n).errors):
                assert decode_lean(data, n) is None, name


def test_two_octet_sessions_and_other_attributes_take_the_full_decoder() -> None:
    plain = update(MANDATORY)
    assert decode_lean(plain, NEG4) is not None
    assert decode_lean(plain, Negotiated(four_octet_as=False)) is None  # RFC 6793 merging
    assert decode_lean(update(MANDATORY + attr(0x40, 6, b"")), NEG4) is None  # ATOMIC_AGGREGATE
    assert decode_lean(update(MANDATORY + attr(0xC0, 99, b"x")), NEG4) is None  # unknown
    assert decode_lean(update(MANDATORY, nlri=b""), NEG4) is None  # attributes without NLRI
    assert decode_lean(update(MANDATORY), IBGP4) is None  # iBGP without LOCAL_PREF: 3/3
    with_lp = update(MANDATORY + attr(0x40, 5, b"\x00\x00\x00\x64"))
    assert decode_lean(with_lp, IBGP4).local_pref == 100  # type: ignore[union-attr]
    withdraw = decode_lean(update(b"", nlri=b"", withdrawn=NLRI), NEG4)
    assert withdraw is not None and withdraw.withdrawn == [(0x0A010100 << 6) | 24] and not withdraw.nlri
    eor = decode_lean(update(b"", nlri=b""), NEG4)
    assert eor is not None and not eor.withdrawn and not eor.nlri
