"""Malformed-input corpus: each case names the NOTIFICATION code/subcode/data and RFC 7606 handling.

Cases whose handling is SESSION_RESET must raise ``BgpError``; milder ones must decode to an
``Update`` whose ``errors`` is exactly the expected error (GoBGP ``testdata/bad-len`` style).
"""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from routesim.wire.bgp import (
    AsPath,
    BgpError,
    ErrorHandling,
    Framer,
    Negotiated,
    NextHop,
    Origin,
    OriginType,
    Prefix,
    UnknownAttribute,
    Update,
    decode_message,
)

H = ErrorHandling
NEG4 = Negotiated(four_octet_as=True)
NEG2 = Negotiated(four_octet_as=False)
IBGP = Negotiated(four_octet_as=True, internal=True)


def msg(mtype: int, body: bytes, *, length: int | None = None, marker: bytes = b"\xff" * 16) -> bytes:
    return marker + (19 + len(body) if length is None else length).to_bytes(2, "big") + bytes((mtype,)) + body


def attr(flags: int, code: int, value: bytes) -> bytes:
    if flags & 0x10:
        return bytes((flags, code)) + len(value).to_bytes(2, "big") + value
    return bytes((flags, code, len(value))) + value


ORIGIN = attr(0x40, 1, b"\x00")
AS_PATH = attr(0x40, 2, b"\x02\x01\x00\x00\xfd\xe9")  # AS_SEQUENCE 65001, 4-octet
NEXT_HOP = attr(0x40, 3, bytes((10, 0, 12, 1)))
MANDATORY = ORIGIN + AS_PATH + NEXT_HOP
MANDATORY2 = ORIGIN + attr(0x40, 2, b"\x02\x01\xfd\xe9") + NEXT_HOP  # 2-octet AS_PATH
NLRI = b"\x18\x0a\x01\x01"  # 10.1.1.0/24


def update(attrs: bytes, nlri: bytes = NLRI, withdrawn: bytes = b"") -> bytes:
    body = len(withdrawn).to_bytes(2, "big") + withdrawn + len(attrs).to_bytes(2, "big") + attrs + nlri
    return msg(2, body)


def open_body(
    version: int = 4,
    my_as: int = 65001,
    hold: int = 90,
    ident: bytes = b"\x0a\x00\x00\x01",
    params: bytes = b"",
) -> bytes:
    return (
        bytes((version,))
        + my_as.to_bytes(2, "big")
        + hold.to_bytes(2, "big")
        + ident
        + bytes((len(params),))
        + params
    )


def mp_reach(nh: bytes, nlri: bytes) -> bytes:
    return attr(0x80, 14, b"\x00\x01\x01" + bytes((len(nh),)) + nh + b"\x00" + nlri)


RR_BAD = msg(5, b"\x00\x01\x00\x01\x00")
BAD_ORIGIN = attr(0x40, 1, b"\x03")

CASES = [
    # -- message header, RFC 4271 §6.1 ---------------------------------------------------------------
    ("marker", msg(4, b"", marker=b"\xff" * 15 + b"\xfe"), NEG4, 1, 1, b"", H.SESSION_RESET),
    ("length-18", msg(4, b"", length=18), NEG4, 1, 2, b"\x00\x12", H.SESSION_RESET),
    ("length-4097", msg(2, b"\x00" * 4078), NEG4, 1, 2, b"\x10\x01", H.SESSION_RESET),
    ("type-6", msg(6, b""), NEG4, 1, 3, b"\x06", H.SESSION_RESET),
    ("type-0", msg(0, b""), NEG4, 1, 3, b"\x00", H.SESSION_RESET),
    ("keepalive-20", msg(4, b"\x00"), NEG4, 1, 2, b"\x00\x14", H.SESSION_RESET),
    ("open-28", msg(1, b"\x04" + b"\x00" * 8), NEG4, 1, 2, b"\x00\x1c", H.SESSION_RESET),
    ("update-22", msg(2, b"\x00\x00\x00"), NEG4, 1, 2, b"\x00\x16", H.SESSION_RESET),
    ("notification-20", msg(3, b"\x06"), NEG4, 1, 2, b"\x00\x14", H.SESSION_RESET),
    ("length-field-vs-data", msg(4, b"", length=19) + b"\x00", NEG4, 1, 2, b"\x00\x13", H.SESSION_RESET),
    # RFC 7313 §5: ROUTE-REFRESH of the wrong length, data = the whole message.
    ("route-refresh-24", RR_BAD, NEG4, 7, 1, RR_BAD, H.SESSION_RESET),
    # -- OPEN, RFC 4271 §6.2 -------------------------------------------------------------------------
    ("open-version-3", msg(1, open_body(version=3)), NEG4, 2, 1, b"\x00\x04", H.SESSION_RESET),
    ("open-as-0", msg(1, open_body(my_as=0)), NEG4, 2, 2, b"", H.SESSION_RESET),
    ("open-identifier-0", msg(1, open_body(ident=b"\x00" * 4)), NEG4, 2, 3, b"", H.SESSION_RESET),
    ("open-hold-1", msg(1, open_body(hold=1)), NEG4, 2, 6, b"", H.SESSION_RESET),
    ("open-hold-2", msg(1, open_body(hold=2)), NEG4, 2, 6, b"", H.SESSION_RESET),
    ("open-param-auth", msg(1, open_body(params=b"\x01\x01\x00")), NEG4, 2, 4, b"", H.SESSION_RESET),
    ("open-param-rfc9072", msg(1, open_body(params=b"\xff\x00")), NEG4, 2, 4, b"", H.SESSION_RESET),
    (
        "open-params-length",
        msg(1, open_body(params=b"\x02\x02\x02\x00")[:-5] + b"\x05" + b"\x02\x02\x02\x00"),
        NEG4,
        2,
        0,
        b"\x02\x02\x02\x00",
        H.SESSION_RESET,
    ),
    (
        "open-param-overrun",
        msg(1, open_body(params=b"\x02\x05\x02\x00")),
        NEG4,
        2,
        0,
        b"\x02\x05\x02\x00",
        H.SESSION_RESET,
    ),
    (
        "open-cap-overrun",
        msg(1, open_body(params=b"\x02\x02\x41\x04")),
        NEG4,
        2,
        0,
        b"\x41\x04",
        H.SESSION_RESET,
    ),
    (
        "open-cap-4octet-as-0",
        msg(1, open_body(params=b"\x02\x06\x41\x04\x00\x00\x00\x00")),
        NEG4,
        2,
        2,
        b"",
        H.SESSION_RESET,
    ),
    (
        "open-cap-mp-length",
        msg(1, open_body(params=b"\x02\x05\x01\x03\x00\x01\x00")),
        NEG4,
        2,
        0,
        b"\x01\x03\x00\x01\x00",
        H.SESSION_RESET,
    ),
    # -- UPDATE: session reset (RFC 7606 §4, §5.3, §3 g; RFC 4271 §6.3) ---------------------------------
    ("withdrawn-length-overrun", msg(2, b"\x00\x09\x00\x00"), NEG4, 3, 1, b"", H.SESSION_RESET),
    ("attributes-length-overrun", msg(2, b"\x00\x00\x00\x09" + ORIGIN), NEG4, 3, 1, b"", H.SESSION_RESET),
    (
        "nlri-length-33",
        update(MANDATORY, nlri=b"\x21\x0a\x01\x01\x01\x01"),
        NEG4,
        3,
        10,
        b"",
        H.SESSION_RESET,
    ),
    ("nlri-overrun", update(MANDATORY, nlri=b"\x18\x0a\x01"), NEG4, 3, 10, b"", H.SESSION_RESET),
    ("withdrawn-overrun", update(b"", nlri=b"", withdrawn=b"\x20\x0a"), NEG4, 3, 10, b"", H.SESSION_RESET),
    (
        "unrecognized-well-known",
        update(MANDATORY + attr(0x40, 99, b"\x01")),
        NEG4,
        3,
        2,
        attr(0x40, 99, b"\x01"),
        H.SESSION_RESET,
    ),
    (
        "duplicate-mp-reach",
        update(ORIGIN + AS_PATH + mp_reach(b"\x0a\x00\x00\x01", NLRI) * 2, nlri=b""),
        NEG4,
        3,
        1,
        b"",
        H.SESSION_RESET,
    ),
    # -- UPDATE: treat-as-withdraw -------------------------------------------------------------------
    ("origin-value-3", update(BAD_ORIGIN + AS_PATH + NEXT_HOP), NEG4, 3, 6, BAD_ORIGIN, H.TREAT_AS_WITHDRAW),
    (
        "origin-length-2",
        update(attr(0x40, 1, b"\x00\x00") + AS_PATH + NEXT_HOP),
        NEG4,
        3,
        5,
        attr(0x40, 1, b"\x00\x00"),
        H.TREAT_AS_WITHDRAW,
    ),
    (
        "origin-flags-optional",
        update(attr(0xC0, 1, b"\x00") + AS_PATH + NEXT_HOP),
        NEG4,
        3,
        4,
        attr(0xC0, 1, b"\x00"),
        H.TREAT_AS_WITHDRAW,
    ),
    (
        "origin-flags-partial",
        update(attr(0x60, 1, b"\x00") + AS_PATH + NEXT_HOP),
        NEG4,
        3,
        4,
        attr(0x60, 1, b"\x00"),
        H.TREAT_AS_WITHDRAW,
    ),
    (
        "as-path-segment-type-5",
        update(ORIGIN + attr(0x40, 2, b"\x05\x01\x00\x00\xfd\xe9") + NEXT_HOP),
        NEG4,
        3,
        11,
        b"",
        H.TREAT_AS_WITHDRAW,
    ),
    (
        "as-path-segment-overrun",
        update(ORIGIN + attr(0x40, 2, b"\x02\x02\x00\x00\xfd\xe9") + NEXT_HOP),
        NEG4,
        3,
        11,
        b"",
        H.TREAT_AS_WITHDRAW,
    ),
    (
        "as-path-segment-empty",
        update(ORIGIN + attr(0x40, 2, b"\x02\x00") + NEXT_HOP),
        NEG4,
        3,
        11,
        b"",
        H.TREAT_AS_WITHDRAW,
    ),
    (
        "as-path-2-octet-odd",
        update(ORIGIN + attr(0x40, 2, b"\x02\x01\xfd") + NEXT_HOP),
        NEG2,
        3,
        11,
        b"",
        H.TREAT_AS_WITHDRAW,
    ),
    (
        "next-hop-zero",
        update(ORIGIN + AS_PATH + attr(0x40, 3, b"\x00\x00\x00\x00")),
        NEG4,
        3,
        8,
        attr(0x40, 3, b"\x00\x00\x00\x00"),
        H.TREAT_AS_WITHDRAW,
    ),
    (
        "next-hop-multicast",
        update(ORIGIN + AS_PATH + attr(0x40, 3, b"\xe0\x00\x00\x05")),
        NEG4,
        3,
        8,
        attr(0x40, 3, b"\xe0\x00\x00\x05"),
        H.TREAT_AS_WITHDRAW,
    ),
    (
        "next-hop-length-5",
        update(ORIGIN + AS_PATH + attr(0x40, 3, b"\x0a\x00\x00\x01\x00")),
        NEG4,
        3,
        5,
        attr(0x40, 3, b"\x0a\x00\x00\x01\x00"),
        H.TREAT_AS_WITHDRAW,
    ),
    (
        "med-length-3",
        update(MANDATORY + attr(0x80, 4, b"\x00\x00\x01")),
        NEG4,
        3,
        5,
        attr(0x80, 4, b"\x00\x00\x01"),
        H.TREAT_AS_WITHDRAW,
    ),
    (
        "med-flags-transitive",
        update(MANDATORY + attr(0xC0, 4, b"\x00" * 4)),
        NEG4,
        3,
        4,
        attr(0xC0, 4, b"\x00" * 4),
        H.TREAT_AS_WITHDRAW,
    ),
    (
        "local-pref-length-2",
        update(MANDATORY + attr(0x40, 5, b"\x00\x64")),
        NEG4,
        3,
        5,
        attr(0x40, 5, b"\x00\x64"),
        H.TREAT_AS_WITHDRAW,
    ),
    (
        "communities-length-5",
        update(MANDATORY + attr(0xC0, 8, b"\x00" * 5)),
        NEG4,
        3,
        5,
        attr(0xC0, 8, b"\x00" * 5),
        H.TREAT_AS_WITHDRAW,
    ),
    (
        "communities-empty",
        update(MANDATORY + attr(0xC0, 8, b"")),
        NEG4,
        3,
        5,
        attr(0xC0, 8, b""),
        H.TREAT_AS_WITHDRAW,
    ),
    ("missing-origin", update(AS_PATH + NEXT_HOP), NEG4, 3, 3, b"\x01", H.TREAT_AS_WITHDRAW),
    ("missing-as-path", update(ORIGIN + NEXT_HOP), NEG4, 3, 3, b"\x02", H.TREAT_AS_WITHDRAW),
    ("missing-next-hop", update(ORIGIN + AS_PATH), NEG4, 3, 3, b"\x03", H.TREAT_AS_WITHDRAW),
    ("missing-local-pref-ibgp", update(MANDATORY), IBGP, 3, 3, b"\x05", H.TREAT_AS_WITHDRAW),
    (
        "missing-origin-mp-reach",
        update(AS_PATH + mp_reach(b"\x0a\x00\x00\x01", NLRI), nlri=b""),
        NEG4,
        3,
        3,
        b"\x01",
        H.TREAT_AS_WITHDRAW,
    ),
    (
        "attribute-overruns-field",
        update(MANDATORY + b"\x80\x04\x08\x00\x00"),
        NEG4,
        3,
        5,
        b"\x80\x04\x08\x00\x00",
        H.TREAT_AS_WITHDRAW,
    ),
    (
        "attribute-header-truncated",
        update(MANDATORY + b"\x80\x04"),
        NEG4,
        3,
        5,
        b"\x80\x04",
        H.TREAT_AS_WITHDRAW,
    ),
    (
        "attribute-ext-header-truncated",
        update(MANDATORY + b"\x90\x04\x00"),
        NEG4,
        3,
        5,
        b"\x90\x04\x00",
        H.TREAT_AS_WITHDRAW,
    ),
    # -- UPDATE: attribute discard -------------------------------------------------------------------
    (
        "atomic-aggregate-length-1",
        update(MANDATORY + attr(0x40, 6, b"\x00")),
        NEG4,
        3,
        5,
        attr(0x40, 6, b"\x00"),
        H.ATTRIBUTE_DISCARD,
    ),
    (
        "atomic-aggregate-flags",
        update(MANDATORY + attr(0xC0, 6, b"")),
        NEG4,
        3,
        4,
        attr(0xC0, 6, b""),
        H.ATTRIBUTE_DISCARD,
    ),
    (
        "aggregator-length-7",
        update(MANDATORY + attr(0xC0, 7, b"\x00" * 7)),
        NEG4,
        3,
        5,
        attr(0xC0, 7, b"\x00" * 7),
        H.ATTRIBUTE_DISCARD,
    ),
    (
        "aggregator-2-octet-length-8",
        update(
            ORIGIN + attr(0x40, 2, b"\x02\x01\xfd\xe9") + NEXT_HOP + attr(0xC0, 7, b"\x00\x01" + b"\x00" * 6)
        ),
        NEG2,
        3,
        5,
        attr(0xC0, 7, b"\x00\x01" + b"\x00" * 6),
        H.ATTRIBUTE_DISCARD,
    ),
    (
        "aggregator-as-0",
        update(MANDATORY + attr(0xC0, 7, b"\x00" * 4 + b"\x0a\x00\x00\x01")),
        NEG4,
        3,
        9,
        attr(0xC0, 7, b"\x00" * 4 + b"\x0a\x00\x00\x01"),
        H.ATTRIBUTE_DISCARD,
    ),
    (
        "as4-path-confed",
        update(MANDATORY2 + attr(0xC0, 17, b"\x03\x01\x00\x01\x00\x00")),
        NEG2,
        3,
        9,
        attr(0xC0, 17, b"\x03\x01\x00\x01\x00\x00"),
        H.ATTRIBUTE_DISCARD,
    ),
    (
        "as4-aggregator-length-6",
        update(MANDATORY2 + attr(0xC0, 18, b"\x00" * 6)),
        NEG2,
        3,
        5,
        attr(0xC0, 18, b"\x00" * 6),
        H.ATTRIBUTE_DISCARD,
    ),
    ("duplicate-origin", update(MANDATORY + ORIGIN), NEG4, 3, 1, b"", H.ATTRIBUTE_DISCARD),
    # -- UPDATE: AFI/SAFI disable (RFC 7606 §7.11) ----------------------------------------------------
    (
        "mp-reach-next-hop-16",
        update(ORIGIN + AS_PATH + mp_reach(b"\x00" * 16, NLRI), nlri=b""),
        NEG4,
        3,
        9,
        mp_reach(b"\x00" * 16, NLRI),
        H.AFI_SAFI_DISABLE,
    ),
    (
        "mp-reach-bad-prefix",
        update(ORIGIN + AS_PATH + mp_reach(b"\x0a\x00\x00\x01", b"\x28\x0a"), nlri=b""),
        NEG4,
        3,
        9,
        mp_reach(b"\x0a\x00\x00\x01", b"\x28\x0a"),
        H.AFI_SAFI_DISABLE,
    ),
    (
        "mp-unreach-short",
        update(attr(0x80, 15, b"\x00\x01"), nlri=b""),
        NEG4,
        3,
        9,
        attr(0x80, 15, b"\x00\x01"),
        H.AFI_SAFI_DISABLE,
    ),
]


@pytest.mark.parametrize(
    ("data", "negotiated", "code", "subcode", "err_data", "handling"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_malformed(
    data: bytes, negotiated: Negotiated, code: int, subcode: int, err_data: bytes, handling: ErrorHandling
) -> None:
    expected = BgpError(code, subcode, err_data, handling=handling)
    if handling == H.SESSION_RESET:
        with pytest.raises(BgpError) as info:
            decode_message(data, negotiated)
        err = info.value
        assert (err.code, err.subcode, err.data, err.handling) == (code, subcode, err_data, handling)
        assert err.notification().encode()[19:21] == bytes((code, subcode))
    else:
        message = decode_message(data, negotiated)
        assert isinstance(message, Update)
        assert message.errors == (expected,), message.errors
        assert message.handling == handling


def test_framer_raises_header_errors_too() -> None:
    for name, data, *_rest in CASES:
        if name.startswith(("marker", "length-18", "type-", "keepalive-20", "open-28")):
            with pytest.raises(BgpError):
                list(Framer().feed(data))


def test_treat_as_withdraw_moves_nlri_to_withdrawn() -> None:
    u = decode_message(update(BAD_ORIGIN + AS_PATH + NEXT_HOP, withdrawn=b"\x08\x0b"), NEG4)
    assert u.treat_as_withdraw
    assert u.announced_prefixes() == ()
    assert u.withdrawn_prefixes() == (Prefix.from_network("11.0.0.0/8"), Prefix.from_network("10.1.1.0/24"))
    # the rest of the message is still decoded
    assert u.as_path == AsPath.from_asns(65001)


def test_attribute_discard_keeps_routes_and_first_duplicate() -> None:
    u = decode_message(update(MANDATORY + attr(0x40, 1, b"\x02")), NEG4)
    assert not u.treat_as_withdraw
    assert u.origin == Origin(OriginType.IGP)  # the first ORIGIN wins
    assert u.announced_prefixes() == (Prefix.from_network("10.1.1.0/24"),)
    assert u.next_hop == NextHop(IPv4Address("10.0.12.1"))


def test_withdraw_only_needs_no_attributes_and_unknown_optional_is_kept() -> None:
    u = decode_message(update(b"", nlri=b"", withdrawn=NLRI), NEG4)
    assert u.errors == () and u.withdrawn_prefixes() == (Prefix.from_network("10.1.1.0/24"),)
    unknown = attr(0xC0, 200, b"\xde\xad")
    u = decode_message(update(MANDATORY + unknown), NEG4)
    assert u.errors == ()
    assert u.attributes[-1] == UnknownAttribute(200, 0xC0, b"\xde\xad")
    assert u.encode(NEG4) == update(MANDATORY + unknown)


def test_host_bits_are_cleared() -> None:
    u = decode_message(update(MANDATORY, nlri=b"\x17\x0a\x01\x01"), NEG4)
    assert u.nlri == (Prefix.from_network("10.1.0.0/23"),)


def test_update_decode_rejects_other_types() -> None:
    with pytest.raises(BgpError):
        Update.decode(msg(4, b""), NEG4)
