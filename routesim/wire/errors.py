"""Typed decode errors shared by the wire codecs.

Every decoder under ``wire/`` raises a subclass of :class:`DecodeError` for bytes it cannot accept
and nothing else: a remote peer's bad packet is data to count and drop, never a crash. Our own
mistakes (encoding a message that breaks a rule, such as 26 RIP entries) raise ``ValueError`` instead,
so the two never mix (h11 keeps ``LocalProtocolError`` and ``RemoteProtocolError`` apart the same way).

Protocol modules add their own subclasses (``RipDecodeError`` in ``wire/rip.py``; BGP and OSPF in
their packages) carrying the RFC's reaction: a short ``reason`` and the offending ``value``.
"""

from __future__ import annotations

from typing import Any


class DecodeError(Exception):
    """Bytes that do not form a valid message.

    ``reason`` is a short stable token (counted by engines as a per-reason drop counter, e.g.
    ``"version"``, ``"truncated"``); ``value`` is the offending value, for the log.
    """

    def __init__(self, reason: str, value: Any = None, message: str | None = None) -> None:
        self.reason = reason
        self.value = value
        super().__init__(message or (reason if value is None else f"{reason}: {value!r}"))


class TruncatedError(DecodeError):
    """The buffer ended before a field that the format requires (raised by ``_buffer.Reader``)."""
