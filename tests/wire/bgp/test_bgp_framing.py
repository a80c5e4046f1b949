"""Framer (RFC 4271 §6.1 header checks on a TCP stream) and message-level API details."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest
from bgp_testutil import DATA_DIR, load_hex

from routesim.wire.bgp import (
    AS_TRANS,
    BgpError,
    ErrorCode,
    ErrorHandling,
    FourOctetAs,
    Framer,
    Keepalive,
    Negotiated,
    Notification,
    Open,
    OpenSubcode,
    UnknownCapability,
    decode_message,
    unsupported_capability_error,
)

CORPUS = [raw for _d, raw in load_hex(DATA_DIR / "bgp-frr-fast.hex")]
STREAM = b"".join(CORPUS)


def test_byte_by_byte_equals_all_at_once() -> None:
    framer = Framer()
    out = []
    for i in range(len(STREAM)):
        out += list(framer.feed(STREAM[i : i + 1]))
    assert out == CORPUS
    assert framer.buffered == 0
    assert list(Framer().feed(STREAM)) == CORPUS


def test_partial_message_is_kept_for_the_next_feed() -> None:
    framer = Framer()
    assert len(CORPUS[0]) > 30
    assert list(framer.feed(STREAM[:30])) == []
    assert framer.buffered == 30
    assert list(framer.feed(STREAM[30:])) == CORPUS
    assert framer.buffered == 0


def test_good_messages_come_out_before_the_bad_header_and_the_error_sticks() -> None:
    framer = Framer()
    keepalive = Keepalive().encode()
    got = []
    with pytest.raises(BgpError) as info:
        for m in framer.feed(keepalive * 2 + b"\x00" * 19):
            got.append(m)
    assert got == [keepalive, keepalive]
    assert (info.value.code, info.value.subcode) == (1, 1)
    assert framer.error is info.value
    with pytest.raises(BgpError):
        list(framer.feed(keepalive))


@pytest.mark.parametrize("cut", [1, 7, 19, 100, 4096, 65536])
def test_split_equals_feed(cut: int) -> None:
    framer = Framer()
    out: list[bytes] = []
    for i in range(0, len(STREAM), cut):
        messages, error = framer.split(STREAM[i : i + cut])
        assert error is None and all(type(m) is bytes for m in messages)
        out += messages
    assert out == CORPUS and framer.buffered == 0


def test_split_gives_good_messages_then_the_error_that_sticks() -> None:
    framer = Framer()
    keepalive = Keepalive().encode()
    messages, error = framer.split(bytearray(keepalive * 2 + b"\x00" * 19))
    assert messages == [keepalive, keepalive] and error is not None
    assert (error.code, error.subcode) == (1, 1) and framer.error is error
    assert framer.split(keepalive) == ([], error)
    messages, error = Framer().split(b"\xff" * 16 + b"\x20\x00\x02")
    assert messages == [] and error is not None and error.data == b"\x20\x00"


def test_bad_length_is_refused_before_the_body_arrives() -> None:
    with pytest.raises(BgpError) as info:
        list(Framer().feed(b"\xff" * 16 + b"\x20\x00\x02"))
    assert info.value.data == b"\x20\x00"


def test_negotiated_from_opens() -> None:
    ident = IPv4Address("10.0.0.1")
    a = Open.for_speaker(4_200_000_000, 90, ident)
    b = Open.for_speaker(65002, 90, ident, four_octet_as=False)
    assert a.my_as == AS_TRANS and a.asn == 4_200_000_000
    n = Negotiated.from_opens(a, b)
    assert n == Negotiated(four_octet_as=False, route_refresh=True)
    assert Negotiated.from_opens(a, a).four_octet_as and Negotiated.from_opens(a, a).internal
    with pytest.raises(ValueError):
        Open.for_speaker(4_200_000_000, 90, ident, four_octet_as=False)


def test_unsupported_capability_error_for_the_fsm() -> None:
    err = unsupported_capability_error([FourOctetAs(65001), UnknownCapability(64, b"\x00\x78")])
    assert (err.code, err.subcode) == (ErrorCode.OPEN_MESSAGE_ERROR, OpenSubcode.UNSUPPORTED_CAPABILITY)
    assert err.data == bytes.fromhex("41040000fde9") + bytes.fromhex("40020078")
    assert err.handling == ErrorHandling.SESSION_RESET
    assert decode_message(err.notification().encode()) == Notification(2, 7, err.data)


def test_notification_str_names_codes() -> None:
    assert str(Notification(6, 2)) == "NOTIFICATION CEASE/ADMINISTRATIVE_SHUTDOWN"
    assert "UPDATE_MESSAGE_ERROR/MALFORMED_AS_PATH" in str(BgpError(3, 11))
    assert str(Notification(9, 9, b"\x01")) == "NOTIFICATION 9/9 data=01"


def test_every_message_class_has_a_whole_message_decode_mirror() -> None:
    from routesim.wire.bgp import RouteRefresh, Update

    ident = IPv4Address("10.0.0.1")
    for message in (
        Open.for_speaker(65001, 90, ident),
        Update(),
        Notification(6, 4, b"bye"),
        Keepalive(),
        RouteRefresh(1, 1, 2),
    ):
        assert type(message).decode(message.encode()) == message
    with pytest.raises(BgpError) as info:
        Open.decode(Keepalive().encode())
    assert (info.value.code, info.value.subcode, info.value.data) == (1, 3, b"\x04")
