"""OSPF authentication (RFC 2328 Appendix D): null, simple password and cryptographic MD5.

Configuration values (:class:`NullAuth`, :class:`SimplePasswordAuth`, :class:`CryptographicAuth`) are
given to :func:`~routesim.wire.ospf.packet.encode_packet` to build the 64-bit authentication field
(and, for MD5, the digest appended after the packet) and to
:func:`~routesim.wire.ospf.packet.decode_packet` to verify a received packet.

Cryptographic authentication (§D.3, §D.4.3): the field holds 0x0000, Key ID, Auth Data Len (16) and
a 32-bit cryptographic sequence number; the packet checksum is not computed (0); the digest is
``MD5(packet || key padded to 16 bytes)`` over the ``packet length`` bytes and is appended after
them, outside ``packet length``. The sequence number must never decrease for a sender: the engine
keeps the last value per neighbor and asks :func:`crypto_sequence_acceptable`; the sender's counter
is the engine's too (``encode_packet(crypto_seq=...)``).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import ClassVar

from routesim.wire.ospf._util import check_uint
from routesim.wire.ospf.errors import OspfDecodeError, OspfDropReason
from routesim.wire.ospf.header import AuType, OspfHeader

MD5_DIGEST_LEN = 16
MD5_KEY_LEN = 16
PASSWORD_LEN = 8


@dataclass(frozen=True)
class NullAuth:
    """AuType 0 (§D.4.1): the authentication field is not examined; the checksum is."""

    AUTYPE: ClassVar[AuType] = AuType.NULL


@dataclass(frozen=True)
class SimplePasswordAuth:
    """AuType 1 (§D.4.2): up to 8 bytes of clear-text password, zero padded."""

    password: bytes

    AUTYPE: ClassVar[AuType] = AuType.SIMPLE_PASSWORD

    def __post_init__(self) -> None:
        if len(self.password) > PASSWORD_LEN:
            raise ValueError("an OSPF password is at most 8 bytes")


@dataclass(frozen=True)
class CryptographicAuth:
    """AuType 2 with keyed MD5 (§D.4.3): one key, identified by ``key_id``; up to 16 bytes."""

    key_id: int
    key: bytes

    AUTYPE: ClassVar[AuType] = AuType.CRYPTOGRAPHIC

    def __post_init__(self) -> None:
        check_uint("key_id", self.key_id, 8)
        if len(self.key) > MD5_KEY_LEN:
            raise ValueError("an OSPF MD5 key is at most 16 bytes")


Authentication = NullAuth | SimplePasswordAuth | CryptographicAuth


def authentication_field(auth: Authentication, crypto_seq: int = 0) -> bytes:
    """The 64-bit authentication field of the header for ``auth`` (§D.3)."""
    if isinstance(auth, SimplePasswordAuth):
        return auth.password.ljust(PASSWORD_LEN, b"\x00")
    if isinstance(auth, CryptographicAuth):
        return (
            b"\x00\x00"
            + bytes([auth.key_id, MD5_DIGEST_LEN])
            + check_uint("crypto_seq", crypto_seq, 32).to_bytes(4, "big")
        )
    return bytes(PASSWORD_LEN)


def md5_digest(packet: bytes, key: bytes) -> bytes:
    """MD5 over the packet (checksum 0, auth field filled) followed by the key padded to 16 (§D.4.3)."""
    return hashlib.md5(packet + key.ljust(MD5_KEY_LEN, b"\x00")).digest()


def verify_authentication(header: OspfHeader, packet: bytes, trailer: bytes, auth: Authentication) -> None:
    """Check a received packet against the configured ``auth`` (§D.4); raise ``OspfDecodeError``.

    ``packet`` is the ``packet length`` bytes, ``trailer`` whatever the datagram carried after them.
    The crypto sequence number is not checked here (it needs per-neighbor state): see
    :func:`crypto_sequence_acceptable`.
    """
    if header.autype != auth.AUTYPE:
        raise OspfDecodeError(
            OspfDropReason.AUTH_MISMATCH, int(header.autype), "AuType differs from configured"
        )
    if isinstance(auth, SimplePasswordAuth):
        if not hmac.compare_digest(header.authentication, authentication_field(auth)):
            raise OspfDecodeError(OspfDropReason.AUTH_MISMATCH, None, "wrong password")
    elif isinstance(auth, CryptographicAuth):
        if header.key_id != auth.key_id:
            raise OspfDecodeError(OspfDropReason.AUTH_MISMATCH, header.key_id, "unknown key id")
        if header.auth_data_length != MD5_DIGEST_LEN or len(trailer) < MD5_DIGEST_LEN:
            raise OspfDecodeError(OspfDropReason.BAD_DIGEST, header.auth_data_length, "no 16-byte MD5 digest")
        expected = md5_digest(packet, auth.key)
        if not hmac.compare_digest(trailer[:MD5_DIGEST_LEN], expected):
            raise OspfDecodeError(
                OspfDropReason.BAD_DIGEST, trailer[:MD5_DIGEST_LEN].hex(), "MD5 digest mismatch"
            )


def crypto_sequence_acceptable(last_seen: int | None, received: int) -> bool:
    """§D.4.3: drop a packet whose sequence number is below the neighbor's last one (equal is fine)."""
    return last_seen is None or received >= last_seen
