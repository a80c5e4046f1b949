"""The one error a BGP decoder raises or reports: NOTIFICATION code/subcode/data plus RFC 7606 handling.

``BgpError`` is a :class:`~routesim.wire.errors.DecodeError` (so engines count it like any other bad
packet) that also says what RFC 4271 §6 would put in the NOTIFICATION and which RFC 7606 §2 approach
applies. ``Update.decode`` raises only errors whose handling is ``SESSION_RESET``; the milder ones are
returned in ``Update.errors`` with the message (see ``update.py``).
"""

from __future__ import annotations

from enum import IntEnum

from routesim.wire.bgp.notification import Notification, describe
from routesim.wire.errors import DecodeError


class ErrorHandling(IntEnum):
    """RFC 7606 §2 error-handling approaches, mildest first (GoBGP ``ErrorHandling`` order).

    Comparisons are meaningful: the handling of an UPDATE is the ``max`` of its errors' handlings.
    """

    NONE = 0
    ATTRIBUTE_DISCARD = 1
    TREAT_AS_WITHDRAW = 2
    AFI_SAFI_DISABLE = 3
    SESSION_RESET = 4


class BgpError(DecodeError):
    """A peer's bytes broke a rule of RFC 4271 (or an extension).

    ``code``/``subcode``/``data`` are what a NOTIFICATION would carry (RFC 4271 §6); ``handling`` is
    the RFC 7606 reaction; ``reason`` is a short token for counters and logs.
    """

    def __init__(
        self,
        code: int,
        subcode: int,
        data: bytes = b"",
        *,
        handling: ErrorHandling = ErrorHandling.SESSION_RESET,
        reason: str = "",
    ) -> None:
        self.code = code
        self.subcode = subcode
        self.data = bytes(data)
        self.handling = handling
        label = describe(code, subcode)
        super().__init__(
            reason or label,
            self.data,
            f"{label} ({handling.name.lower()})"
            + (f": {reason}" if reason else "")
            + (f" data={self.data.hex()}" if self.data else ""),
        )

    def notification(self) -> Notification:
        """The NOTIFICATION to send when this error resets the session."""
        return Notification(self.code, self.subcode, self.data)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BgpError):
            return NotImplemented
        return (self.code, self.subcode, self.data, self.handling) == (
            other.code,
            other.subcode,
            other.data,
            other.handling,
        )

    def __hash__(self) -> int:
        return hash((self.code, self.subcode, self.data, self.handling))

    def __repr__(self) -> str:
        return (
            f"BgpError({describe(self.code, self.subcode)}, data={self.data.hex()!r}, "
            f"handling={self.handling.name}, reason={self.reason!r})"
        )
