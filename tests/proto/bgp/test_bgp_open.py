"""OPEN negotiation errors, each with its exact NOTIFICATION code/subcode (RFC 4271 §6.2, RFC 5492)."""

from __future__ import annotations

import pytest
from bgp_harness import Raw, ip, make, nbr

from routesim.proto.bgp import TcpData
from routesim.wire.bgp import Multiprotocol, Open
from routesim.wire.bgp.framing import frame

PEER = "10.0.1.2"


def open_bytes(*, asn=65002, hold=90, ident="2.2.2.2", version=4, caps=None) -> bytes:
    op = Open.for_speaker(asn, hold, ip(ident))
    if caps is not None:
        op = Open(my_as=op.my_as, hold_time=hold, bgp_identifier=ip(ident), capabilities=caps)
    data = bytearray(op.encode())
    data[19] = version
    data[22:24] = hold.to_bytes(2, "big")
    return bytes(data)


def answer(
    data: bytes, *, local_as: int = 65001, remote_as: int = 65002
) -> tuple[Raw, list[tuple[int, int, bytes]]]:
    r = Raw(make(local_as, "1.1.1.1", [nbr(PEER, remote_as, passive=True)]))
    conn = r.connect(PEER)
    r.handle(TcpData(conn, data))
    return r, [(n.code, n.subcode, n.data) for n in r.notifications(PEER)]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (open_bytes(asn=65009), (2, 2, b"")),  # Bad Peer AS: not the configured remote AS
        (open_bytes(hold=1), (2, 6, b"")),  # Unacceptable Hold Time
        (open_bytes(hold=2), (2, 6, b"")),
        (open_bytes(version=3), (2, 1, b"\x00\x04")),  # Unsupported Version Number, data = 4
        (open_bytes(ident="0.0.0.0"), (2, 3, b"")),  # Bad BGP Identifier
        (b"\x00" * 16 + b"\x00\x13\x04", (1, 1, b"")),  # header: Connection Not Synchronized
        (b"\xff" * 16 + b"\x00\x12\x04", (1, 2, b"\x00\x12")),  # header: Bad Message Length
        (open_bytes(caps=(Multiprotocol(2, 1),)), (2, 7, b"\x01\x04\x00\x01\x00\x01")),  # no IPv4 unicast
    ],
    ids=["bad-peer-as", "hold-1", "hold-2", "version", "id-zero", "marker", "length", "no-ipv4-unicast"],
)
def test_open_errors_get_the_exact_notification(data, expected):
    r, notes = answer(data)
    assert notes == [expected]
    assert r.state(PEER) == "Idle"


def test_own_bgp_identifier_on_ibgp_is_bad_bgp_identifier():
    _r, notes = answer(open_bytes(asn=65001, ident="1.1.1.1"), remote_as=65001)
    assert notes == [(2, 3, b"")]


def test_own_bgp_identifier_is_allowed_on_ebgp():
    r, notes = answer(open_bytes(ident="1.1.1.1"))
    assert notes == [] and r.state(PEER) == "OpenConfirm"


def test_four_octet_peer_as_is_checked_through_the_capability():
    r, notes = answer(Open.for_speaker(4_200_000_002, 90, ip("2.2.2.2")).encode(), remote_as=4_200_000_002)
    assert notes == [] and r.state(PEER) == "OpenConfirm"
    r, notes = answer(Open.for_speaker(4_200_000_003, 90, ip("2.2.2.2")).encode(), remote_as=4_200_000_002)
    assert notes == [(2, 2, b"")]


def test_open_we_send_carries_capabilities_and_hold():
    r = Raw(make(4_200_000_001, "1.1.1.1", [nbr(PEER, 65002, passive=True)], hold_time=30.0))
    r.connect(PEER)
    (sent,) = [m for m in r.sent(PEER) if isinstance(m, Open)]
    assert sent.my_as == 23456 and sent.asn == 4_200_000_001  # AS_TRANS + 4-octet capability
    assert sent.hold_time == 30 and sent.route_refresh and sent.multiprotocol == {(1, 1)}


def test_open_error_is_logged_with_names():
    r, _ = answer(open_bytes(hold=1))
    assert any("NOTIFICATION sent: OPEN_MESSAGE_ERROR/UNACCEPTABLE_HOLD_TIME" in m for m in r.logs())


def test_unused_frame_helper_matches_codec():
    assert frame(4, b"") == b"\xff" * 16 + b"\x00\x13\x04"
