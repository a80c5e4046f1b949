"""KEEPALIVE (RFC 4271 §4.4): the header alone. Its length is checked by the framer (§6.1: exactly 19)."""

from __future__ import annotations

from dataclasses import dataclass

from routesim.wire.bgp.framing import message_body
from routesim.wire.bgp.negotiated import DEFAULT, Negotiated


@dataclass(frozen=True)
class Keepalive:
    TYPE = 4

    @classmethod
    def decode(cls, data: bytes, negotiated: Negotiated = DEFAULT) -> Keepalive:
        """Decode one whole KEEPALIVE message (header included)."""
        return cls.decode_body(message_body(data, cls.TYPE, negotiated.max_message_length), negotiated)

    @classmethod
    def decode_body(cls, body: bytes, negotiated: Negotiated = DEFAULT) -> Keepalive:
        return KEEPALIVE

    def encode_body(self, negotiated: Negotiated = DEFAULT) -> bytes:
        return b""

    def encode(self, negotiated: Negotiated = DEFAULT) -> bytes:
        return KEEPALIVE_BYTES


KEEPALIVE = Keepalive()
KEEPALIVE_BYTES = b"\xff" * 16 + b"\x00\x13\x04"
