"""Tiny big-endian Reader/Writer used by the codecs (aioquic's ``Buffer`` in miniature).

``Reader`` raises :class:`~routesim.wire.errors.TruncatedError` when a read runs past the end, so a
decoder never leaks ``struct.error`` or ``IndexError`` for short input.
"""

from __future__ import annotations

import struct
from ipaddress import IPv4Address

from routesim.wire.errors import TruncatedError


class Reader:
    """Sequential reads from ``data``; ``pos`` is the offset of the next unread byte."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    @property
    def remaining(self) -> int:
        return len(self.data) - self.pos

    def bytes(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise TruncatedError(
                "truncated", self.pos, f"need {n} bytes at offset {self.pos}, have {self.remaining}"
            )
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.bytes(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self.bytes(2), "big")

    def u32(self) -> int:
        return int.from_bytes(self.bytes(4), "big")

    def ipv4(self) -> IPv4Address:
        return IPv4Address(self.bytes(4))


class Writer:
    """Appends big-endian fields to a growing buffer; ``getvalue()`` returns the bytes."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def __len__(self) -> int:
        return len(self._buf)

    def bytes(self, b: bytes) -> None:
        self._buf += b

    def u8(self, v: int) -> None:
        self._buf += struct.pack("!B", v)

    def u16(self, v: int) -> None:
        self._buf += struct.pack("!H", v)

    def u32(self, v: int) -> None:
        self._buf += struct.pack("!I", v)

    def ipv4(self, a: IPv4Address) -> None:
        self._buf += a.packed

    def getvalue(self) -> bytes:
        return bytes(self._buf)
