"""Dispatch by message type (RFC 4271 §4.1): type octet -> class, and the ``Message`` union."""

from __future__ import annotations

from routesim.wire.bgp.errors import BgpError
from routesim.wire.bgp.framing import HEADER_LENGTH, check_header
from routesim.wire.bgp.keepalive import Keepalive
from routesim.wire.bgp.negotiated import DEFAULT, Negotiated
from routesim.wire.bgp.notification import Notification
from routesim.wire.bgp.open import Open
from routesim.wire.bgp.route_refresh import RouteRefresh
from routesim.wire.bgp.update import Update

Message = Open | Update | Notification | Keepalive | RouteRefresh

#: Type octet -> message class; every class has ``decode_body(body, negotiated)``.
MESSAGE_TYPES: dict[int, type[Message]] = {
    cls.TYPE: cls for cls in (Open, Update, Notification, Keepalive, RouteRefresh)
}


def decode_message(data: bytes, negotiated: Negotiated = DEFAULT) -> Message:
    """Decode one whole message (as ``Framer`` yields them). Raises only ``BgpError``.

    A header whose length differs from ``len(data)`` is Bad Message Length (1/2)."""
    length, mtype = check_header(data, negotiated.max_message_length)
    if length != len(data):
        raise BgpError(1, 2, bytes(data[16:18]), reason="length-mismatch")
    return MESSAGE_TYPES[mtype].decode_body(bytes(data[HEADER_LENGTH:]), negotiated)


def encode_message(message: Message, negotiated: Negotiated = DEFAULT) -> bytes:
    return message.encode(negotiated)
