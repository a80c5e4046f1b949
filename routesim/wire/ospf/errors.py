"""OSPF decode errors: one typed error, a stable reason token and the offending value.

The codec checks what RFC 2328 §8.2 lets it check without interface state (version, length, header
checksum, AuType and authentication when the caller supplies the key, body framing, LSA lengths) and
raises :class:`OspfDecodeError` with a reason from :class:`OspfDropReason`; the engine counts drops
by reason (BIRD ``ospf_rx_hook`` does the same). Anything else escaping a decoder is a bug.
"""

from __future__ import annotations

import enum
from typing import Any

from routesim.wire.errors import DecodeError


class OspfDropReason(enum.StrEnum):
    """Why a received OSPF packet was dropped (values are the counter names)."""

    TRUNCATED = "truncated"  # buffer shorter than a field requires
    BAD_VERSION = "version"  # RFC 2328 §8.2: version must be 2
    BAD_LENGTH = "length"  # packet length < 24 or > buffer, or body framing inconsistent
    UNKNOWN_TYPE = "type"  # packet type not in 1..5
    UNKNOWN_AUTYPE = "autype"  # AuType not 0/1/2 (Appendix D)
    BAD_CHECKSUM = "checksum"  # header checksum (A.3.1) wrong
    AUTH_MISMATCH = "auth"  # AuType differs from the configured one, wrong password or key id
    BAD_DIGEST = "digest"  # MD5 digest (D.4.3) wrong or missing
    BAD_LSA_LENGTH = "lsa-length"  # LSA length < 20, past its container, or body does not fit
    BAD_LSA_COUNT = "lsa-count"  # LSU "# LSAs" disagrees with the bytes


class OspfDecodeError(DecodeError):
    """A received OSPF packet (or LSA) that must be dropped; ``reason`` is an :class:`OspfDropReason`."""

    def __init__(self, reason: OspfDropReason, value: Any = None, message: str | None = None) -> None:
        super().__init__(reason, value, message)
        self.reason: OspfDropReason = reason
