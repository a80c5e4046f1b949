"""The 19-octet message header (RFC 4271 §4.1), its checks (§6.1) and a streaming ``Framer``.

``Framer.feed(data)`` takes whatever TCP delivered and returns the whole messages it completes
(header included, as ``bytes``), keeping the rest for the next call. It checks each header as soon as
its 19 octets are in, so a bad length is refused before waiting for a body that never comes.
Messages come out undecoded because decoding depends on the session state (``Negotiated``), which
the OPEN exchange changes between two messages of one TCP segment; ``message.decode_message`` decodes.

Header checks, in RFC 4271 §6.1 order:

1. Marker not all ones -> Message Header Error / Connection Not Synchronized (1/1), no data.
2. Length < 19 or > 4096 (65535 with RFC 8654), or below the type's minimum (OPEN 29, UPDATE 23,
   NOTIFICATION 21, KEEPALIVE exactly 19) -> Bad Message Length (1/2), data = the length field.
3. Unknown type -> Bad Message Type (1/3), data = the type octet.

The per-type length rule needs the type, so an unknown type with a plausible length is 1/3.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import IntEnum

from routesim.wire.bgp.errors import BgpError
from routesim.wire.bgp.negotiated import MAX_MESSAGE_LENGTH
from routesim.wire.bgp.notification import ErrorCode, MessageHeaderSubcode

MARKER = b"\xff" * 16
HEADER_LENGTH = 19


class MessageType(IntEnum):
    """RFC 4271 §4.1 (5: RFC 2918)."""

    OPEN = 1
    UPDATE = 2
    NOTIFICATION = 3
    KEEPALIVE = 4
    ROUTE_REFRESH = 5


#: RFC 4271 §6.1 minimum lengths; KEEPALIVE must be exactly 19. (ROUTE-REFRESH's exact 23 is an
#: RFC 7313 error of its own, raised by ``RouteRefresh.decode_body``.)
_MIN_LENGTH = {
    MessageType.OPEN: 29,
    MessageType.UPDATE: 23,
    MessageType.NOTIFICATION: 21,
    MessageType.KEEPALIVE: 19,
    MessageType.ROUTE_REFRESH: 19,
}
_KNOWN_TYPES = frozenset(int(t) for t in MessageType)


def check_header(data: bytes, max_length: int = MAX_MESSAGE_LENGTH) -> tuple[int, int]:
    """Validate the first 19 octets of ``data`` (RFC 4271 §6.1); return ``(length, type)``."""
    if len(data) < HEADER_LENGTH:
        raise BgpError(
            ErrorCode.MESSAGE_HEADER_ERROR,
            MessageHeaderSubcode.BAD_MESSAGE_LENGTH,
            len(data).to_bytes(2, "big"),
            reason="short-header",
        )
    if data[:16] != MARKER:
        raise BgpError(
            ErrorCode.MESSAGE_HEADER_ERROR,
            MessageHeaderSubcode.CONNECTION_NOT_SYNCHRONIZED,
            reason="marker",
        )
    length = (data[16] << 8) | data[17]
    mtype = data[18]
    if length < HEADER_LENGTH or length > max_length:
        raise _bad_length(data, "length")
    if mtype not in _KNOWN_TYPES:
        raise BgpError(
            ErrorCode.MESSAGE_HEADER_ERROR,
            MessageHeaderSubcode.BAD_MESSAGE_TYPE,
            bytes((mtype,)),
            reason="type",
        )
    if length < _MIN_LENGTH[mtype] or (mtype == MessageType.KEEPALIVE and length != HEADER_LENGTH):
        raise _bad_length(data, "type-length")
    return length, mtype


def message_body(data: bytes, mtype: int, max_length: int = MAX_MESSAGE_LENGTH) -> bytes:
    """Check ``data`` is exactly one message of type ``mtype``; return its body (for ``X.decode``)."""
    length, got = check_header(data, max_length)
    if length != len(data):
        raise _bad_length(data, "length-mismatch")
    if got != mtype:
        raise BgpError(
            ErrorCode.MESSAGE_HEADER_ERROR,
            MessageHeaderSubcode.BAD_MESSAGE_TYPE,
            bytes((got,)),
            reason=f"expected-type-{mtype}",
        )
    return bytes(data[HEADER_LENGTH:])


def _bad_length(data: bytes, reason: str) -> BgpError:
    return BgpError(
        ErrorCode.MESSAGE_HEADER_ERROR,
        MessageHeaderSubcode.BAD_MESSAGE_LENGTH,
        bytes(data[16:18]),
        reason=reason,
    )


def frame(mtype: int, body: bytes, max_length: int = MAX_MESSAGE_LENGTH) -> bytes:
    """Prepend the header. Our own oversize message is a ``ValueError`` (a local bug, not a peer's)."""
    length = HEADER_LENGTH + len(body)
    if length > max_length:
        raise ValueError(f"BGP message of {length} octets exceeds the {max_length}-octet limit")
    return MARKER + length.to_bytes(2, "big") + bytes((mtype,)) + body


class Framer:
    """Cuts a TCP byte stream into whole BGP messages.

    ``feed(data)`` buffers ``data`` at once and returns an iterator over the messages now complete;
    a bad header raises ``BgpError`` from the iterator *after* the good messages before it have been
    yielded (so a NOTIFICATION or UPDATE ahead of the garbage is still processed). After an error the
    stream is unusable (RFC 4271 §6.1: the session is reset) and every later ``feed`` raises it again.
    ``list(framer.feed(data))`` is fine when that ordering does not matter.
    """

    __slots__ = ("_buffer", "_error", "max_length")

    def __init__(self, max_length: int = MAX_MESSAGE_LENGTH) -> None:
        self._buffer = bytearray()
        self._error: BgpError | None = None
        self.max_length = max_length

    @property
    def buffered(self) -> int:
        """Octets received but not yet part of a whole message."""
        return len(self._buffer)

    @property
    def error(self) -> BgpError | None:
        return self._error

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Add ``data``; iterate over every message it completes, in order (header included)."""
        if self._error is None:
            self._buffer += data
        return self._drain()

    def split(self, data: bytes) -> tuple[list[bytes], BgpError | None]:
        """``feed`` all at once: every message ``data`` completes, and the header error that stopped
        framing after them (None if none; then, and on every later call, no more messages). For a
        caller that handles the messages before the error anyway (a session): no generator, one
        copy per message."""
        if self._error is not None:
            return [], self._error
        if self._buffer:
            data = bytes(self._buffer) + data
        elif type(data) is not bytes:
            data = bytes(data)
        n = len(data)
        pos = 0
        out: list[bytes] = []
        error = None
        max_length = self.max_length
        while n - pos >= HEADER_LENGTH:
            length = (data[pos + 16] << 8) | data[pos + 17]
            # Fast path for the common UPDATE, as in _drain.
            if not (data[pos + 18] == 2 and 23 <= length <= max_length and data.startswith(MARKER, pos)):
                try:
                    length, _ = check_header(bytes(data[pos : pos + HEADER_LENGTH]), max_length)
                except BgpError as exc:
                    self._error = error = exc
                    break
            if n - pos < length:
                break
            out.append(data[pos : pos + length])
            pos += length
        self._buffer = bytearray(data[pos:])
        return out, error

    def _drain(self) -> Iterator[bytes]:
        if self._error is not None:
            raise self._error
        buf = self._buffer
        pos = 0
        try:
            max_length = self.max_length
            while len(buf) - pos >= HEADER_LENGTH:
                length = (buf[pos + 16] << 8) | buf[pos + 17]
                # Fast path for the common UPDATE (type 2, at least 23 octets); anything else, or a
                # bad marker, goes through check_header for its exact error.
                if not (buf[pos + 18] == 2 and 23 <= length <= max_length and buf.startswith(MARKER, pos)):
                    try:
                        length, _ = check_header(bytes(buf[pos : pos + HEADER_LENGTH]), max_length)
                    except BgpError as exc:
                        self._error = exc
                        raise
                if len(buf) - pos < length:
                    break
                message = bytes(buf[pos : pos + length])
                pos += length
                yield message
        finally:
            del buf[:pos]
