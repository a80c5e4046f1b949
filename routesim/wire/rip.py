"""RIPv2 messages: RFC 2453 §4, simple password (RFC 2453 §4.1) and keyed MD5 (RFC 4822, RFC 2082).

Wire layout (all fields big-endian)::

    header   command(1) version(1) must-be-zero(2)
    entry    afi(2) route_tag(2) ip_address(4) subnet_mask(4) next_hop(4) metric(4)     x 1..25
    auth     0xFFFF type(2) ...16 octets...            first entry only (RFC 2453 §4.1)
      type 2 (simple password):  password(16), NUL padded
      type 3 (keyed MD5, RFC 4822 §2.1): packet_length(2) key_id(1) auth_data_len(1) sequence(4) zero(8)
    trailer  0xFFFF 0x0001 digest(16)                  at offset packet_length, type 3 only

Decoding checks in the RFC's order and separates two kinds of failure, because the engine reacts
differently (RFC 2453 §3.9.2: a bad entry is ignored, the rest of the packet is still processed):

* :class:`RipDecodeError` — the packet as a whole is unusable (too short, bad version or command,
  length not header + n x 20, broken authentication layout). The engine counts ``bad_packets``.
* :class:`RipRouteError` (a subclass, with the entry ``index``) — one entry is invalid (address
  family, metric outside 1..16, non-contiguous mask, host bits set, martian destination or next hop).
  ``RipPacket.decode`` raises it for the first bad entry; ``RipPacket.decode_lenient`` drops such
  entries and returns them beside the packet, so the engine can count ``bad_routes`` and go on.

Deviations: RIP version 1 packets are refused (a "RIP-2 only" receive switch, RFC 2453 §5.1);
versions above 2 decode as version 2 (RFC 1058 §3.4). The must-be-zero header octets and the MD5
header's zero padding are not checked (BIRD and FRR do not either) and encode as zero. A received
packet may hold more than 25 entries (BIRD fills the interface MTU); ``encode`` enforces 25.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from enum import IntEnum
from ipaddress import IPv4Address, IPv4Network

from routesim.wire._buffer import Reader, Writer
from routesim.wire.errors import DecodeError, TruncatedError

RIP_PORT = 520
RIP_MULTICAST = IPv4Address("224.0.0.9")
RIP_VERSION = 2
INFINITY = 16
#: RFC 2453 §4: at most 25 entries per message; an authentication entry takes one of them (§4.1).
MAX_ENTRIES = 25
HEADER_LEN = 4
ENTRY_LEN = 20
AFI_INET = 2
AFI_UNSPEC = 0
AFI_AUTH = 0xFFFF
MD5_DIGEST_LEN = 16
#: RFC 4822 §2.1: "Auth Data Len" covers the 4-octet trailer header plus the 16-octet digest.
MD5_AUTH_DATA_LEN = 20
PASSWORD_LEN = 16
_TRAILER_TYPE = 0x0001
_ZERO = IPv4Address(0)


class Command(IntEnum):
    """RFC 2453 §4: commands 3-6 are obsolete or reserved and are refused."""

    REQUEST = 1
    RESPONSE = 2


class AuthType(IntEnum):
    """Authentication type of an AFI 0xFFFF entry."""

    SIMPLE_PASSWORD = 2  # RFC 2453 §4.1
    KEYED_MD5 = 3  # RFC 4822 §2.1 ("cryptographic"), RFC 2082


class RipDecodeError(DecodeError):
    """The packet as a whole is invalid and must be dropped (counted as a bad packet)."""


class RipRouteError(RipDecodeError):
    """One entry is invalid and must be ignored (counted as a bad route); ``index`` is its position."""

    def __init__(self, reason: str, value: object = None, index: int = 0) -> None:
        self.index = index
        super().__init__(reason, value, f"entry {index}: {reason}: {value!r}")


def _key_bytes(key: bytes | str, what: str) -> bytes:
    raw = key.encode() if isinstance(key, str) else bytes(key)
    if len(raw) > 16:
        raise ValueError(f"{what} longer than 16 octets")
    return raw.ljust(16, b"\0")


def _contiguous(mask: int) -> bool:
    inverted = ~mask & 0xFFFFFFFF
    return inverted & (inverted + 1) == 0


def _martian_destination(prefix: IPv4Network) -> bool:
    """RFC 2453 §3.9.2: "is the destination address valid (e.g., unicast; not net 0 or 127)"."""
    first = int(prefix.network_address) >> 24
    if prefix.prefixlen == 0:
        return False  # the default route 0.0.0.0/0 is valid
    return first in (0, 127) or first >= 224


def _bad_next_hop(nh: IPv4Address) -> bool:
    return nh != _ZERO and (nh.is_multicast or nh.is_loopback or nh.is_reserved or int(nh) >> 24 == 0)


@dataclass(frozen=True)
class RipEntry:
    """A route table entry (RFC 2453 §4), or a request for the whole table (AFI 0, metric 16)."""

    afi: int
    route_tag: int
    prefix: IPv4Network
    next_hop: IPv4Address
    metric: int

    @classmethod
    def route(
        cls, prefix: IPv4Network, metric: int, *, next_hop: IPv4Address = _ZERO, route_tag: int = 0
    ) -> RipEntry:
        return cls(AFI_INET, route_tag, prefix, next_hop, metric)

    @classmethod
    def whole_table(cls) -> RipEntry:
        """RFC 2453 §3.9.1: the single entry of a request for the entire routing table."""
        return cls(AFI_UNSPEC, 0, IPv4Network("0.0.0.0/0"), _ZERO, INFINITY)

    @property
    def is_whole_table(self) -> bool:
        return self.afi == AFI_UNSPEC and self.metric == INFINITY

    def encode_into(self, w: Writer) -> None:
        w.u16(self.afi)
        w.u16(self.route_tag)
        w.ipv4(self.prefix.network_address)
        w.ipv4(self.prefix.netmask)
        w.ipv4(self.next_hop)
        w.u32(self.metric)

    @classmethod
    def decode_from(cls, r: Reader, command: Command, index: int) -> RipEntry:
        """Read one 20-octet entry; the reader always advances by 20 even when the entry is bad."""
        afi, tag, addr, mask, nh, metric = r.u16(), r.u16(), r.u32(), r.u32(), r.ipv4(), r.u32()
        if afi != AFI_INET and not (command == Command.REQUEST and afi == AFI_UNSPEC):
            raise RipRouteError("address_family", afi, index)
        if command == Command.RESPONSE and not 1 <= metric <= INFINITY:
            raise RipRouteError("metric", metric, index)  # RFC 2453 §3.9.2
        if command == Command.REQUEST and metric > INFINITY:
            raise RipRouteError("metric", metric, index)
        if not _contiguous(mask):
            raise RipRouteError("mask", str(IPv4Address(mask)), index)
        prefixlen = 32 - (~mask & 0xFFFFFFFF).bit_length()
        if addr & ~mask & 0xFFFFFFFF:
            raise RipRouteError("host_bits", f"{IPv4Address(addr)}/{prefixlen}", index)
        prefix = IPv4Network((addr, prefixlen))
        if command == Command.RESPONSE:
            if _martian_destination(prefix):
                raise RipRouteError("destination", str(prefix), index)
            if _bad_next_hop(nh):
                raise RipRouteError("next_hop", str(nh), index)
        return cls(afi, tag, prefix, nh, metric)


@dataclass(frozen=True)
class SimplePasswordAuth:
    """RFC 2453 §4.1: AFI 0xFFFF, type 2, a 16-octet clear-text password (NUL padded)."""

    password: bytes

    @classmethod
    def from_key(cls, key: bytes | str) -> SimplePasswordAuth:
        return cls(_key_bytes(key, "password"))

    def matches(self, key: bytes | str) -> bool:
        return hmac.compare_digest(_key_bytes(self.password, "password"), _key_bytes(key, "password"))


@dataclass(frozen=True)
class Md5Auth:
    """RFC 4822 §2.1 keyed MD5 authentication header; ``digest`` travels in the trailer.

    ``packet_length`` (offset of the trailer) is derived from the entries on encode, so it is not a
    field. Use :meth:`RipPacket.sign` to fill ``digest`` and :func:`verify_md5` on received bytes.
    """

    key_id: int
    sequence: int
    digest: bytes = bytes(MD5_DIGEST_LEN)
    auth_data_len: int = MD5_AUTH_DATA_LEN


Auth = SimplePasswordAuth | Md5Auth


@dataclass(frozen=True)
class RipPacket:
    """A RIP message: header, optional authentication, entries (wire order)."""

    command: Command
    version: int = RIP_VERSION
    entries: tuple[RipEntry, ...] = ()
    auth: Auth | None = None

    @staticmethod
    def max_entries(*, authenticated: bool) -> int:
        """RFC 2453 §4.1: the authentication entry uses one of the 25 slots."""
        return MAX_ENTRIES - 1 if authenticated else MAX_ENTRIES

    # --- encode ----------------------------------------------------------------------------

    def encode(self) -> bytes:
        """The wire bytes. Raises ValueError (our bug, not the peer's) on a rule this breaks."""
        if len(self.entries) > self.max_entries(authenticated=self.auth is not None):
            raise ValueError(f"{len(self.entries)} entries exceed RFC 2453's 25 per message")
        return self._encode(self.auth.digest if isinstance(self.auth, Md5Auth) else b"")

    def _encode(self, digest: bytes) -> bytes:
        w = Writer()
        w.u8(self.command)
        w.u8(self.version)
        w.u16(0)
        auth = self.auth
        if isinstance(auth, SimplePasswordAuth):
            w.u16(AFI_AUTH)
            w.u16(AuthType.SIMPLE_PASSWORD)
            w.bytes(_key_bytes(auth.password, "password"))
        elif isinstance(auth, Md5Auth):
            w.u16(AFI_AUTH)
            w.u16(AuthType.KEYED_MD5)
            w.u16(HEADER_LEN + ENTRY_LEN * (1 + len(self.entries)))
            w.u8(auth.key_id)
            w.u8(auth.auth_data_len)
            w.u32(auth.sequence)
            w.bytes(bytes(8))
        for entry in self.entries:
            entry.encode_into(w)
        if isinstance(auth, Md5Auth):
            w.u16(AFI_AUTH)
            w.u16(_TRAILER_TYPE)
            w.bytes(digest)
        return w.getvalue()

    def sign(self, key: bytes | str) -> RipPacket:
        """Return a copy whose MD5 digest is computed with ``key`` (RFC 4822 §3.2.1)."""
        if not isinstance(self.auth, Md5Auth):
            raise ValueError("sign() needs Md5Auth")
        unsigned = self._encode(b"")
        return replace(self, auth=replace(self.auth, digest=md5_digest(unsigned, key)))

    # --- decode ----------------------------------------------------------------------------

    @classmethod
    def decode(cls, data: bytes) -> RipPacket:
        """Strict decode: raise RipDecodeError for a bad packet, RipRouteError for its first bad entry."""
        packet, errors = cls.decode_lenient(data)
        if errors:
            raise errors[0]
        return packet

    @classmethod
    def decode_lenient(cls, data: bytes) -> tuple[RipPacket, tuple[RipRouteError, ...]]:
        """Decode, leaving out invalid entries (RFC 2453 §3.9.2 "ignore the entry") and returning them."""
        data = bytes(data)
        if len(data) < HEADER_LEN:
            raise RipDecodeError("too_short", len(data))
        r = Reader(data)
        command_raw, version = r.u8(), r.u8()
        r.u16()
        # RFC 1058 §3.4 / RFC 2453 §5.1: version 0 is discarded; we run "RIP-2 only".
        if version < RIP_VERSION:
            raise RipDecodeError("version", version)
        try:
            command = Command(command_raw)
        except ValueError:
            raise RipDecodeError("command", command_raw) from None
        end = len(data)
        auth: Auth | None = None
        if r.remaining >= 4 and int.from_bytes(data[4:6], "big") == AFI_AUTH:
            auth, end = _decode_auth(data, r)
        body = end - r.pos
        if body % ENTRY_LEN:
            raise RipDecodeError("truncated", body)
        entries: list[RipEntry] = []
        errors: list[RipRouteError] = []
        index = 0
        while r.pos < end:
            try:
                entries.append(RipEntry.decode_from(r, command, index))
            except RipRouteError as exc:
                errors.append(exc)
            index += 1
        return cls(command, version, tuple(entries), auth), tuple(errors)


def _decode_auth(data: bytes, r: Reader) -> tuple[Auth, int]:
    """Decode the first-entry authentication (and the MD5 trailer); return it and the end of entries."""
    try:
        if len(data) < HEADER_LEN + ENTRY_LEN:
            raise RipDecodeError("truncated", len(data) - HEADER_LEN)
        r.u16()
        auth_type = r.u16()
        if auth_type == AuthType.SIMPLE_PASSWORD:
            return SimplePasswordAuth(r.bytes(PASSWORD_LEN)), len(data)
        if auth_type != AuthType.KEYED_MD5:
            raise RipDecodeError("auth_type", auth_type)
        packet_length, key_id, auth_data_len, sequence = r.u16(), r.u8(), r.u8(), r.u32()
        r.bytes(8)
        # RFC 4822 §2.1: packet_length is the offset of the trailer (header + entries incl. auth).
        if packet_length < HEADER_LEN + ENTRY_LEN or packet_length + 4 + MD5_DIGEST_LEN > len(data):
            raise RipDecodeError("auth_length", packet_length)
        trailer = Reader(data, packet_length)
        if trailer.u16() != AFI_AUTH or trailer.u16() != _TRAILER_TYPE:
            raise RipDecodeError("auth_trailer", data[packet_length : packet_length + 4].hex())
        digest = trailer.bytes(trailer.remaining)
        return Md5Auth(key_id, sequence, digest, auth_data_len), packet_length
    except TruncatedError as exc:
        raise RipDecodeError("truncated", exc.value) from None


def md5_digest(data: bytes, key: bytes | str) -> bytes:
    """RFC 4822 §3.2.1 / RFC 2082: MD5 over the packet up to and including the trailer's 4-octet
    header, followed by the key NUL-padded to 16 octets (in place of the digest)."""
    packet_length = int.from_bytes(data[8:10], "big")
    return hashlib.md5(data[: packet_length + 4] + _key_bytes(key, "MD5 key")).digest()


def verify_md5(data: bytes, key: bytes | str) -> bool:
    """Check the digest of *received* bytes (never a re-encoding) against ``key``."""
    if len(data) < HEADER_LEN + ENTRY_LEN:
        return False
    packet_length = int.from_bytes(data[8:10], "big")
    received = data[packet_length + 4 :]
    if len(received) != MD5_DIGEST_LEN:
        return False
    return hmac.compare_digest(md5_digest(data, key), received)
