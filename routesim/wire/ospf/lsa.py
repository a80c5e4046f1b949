"""LSAs of OSPFv2: the 20-byte LSA header and the five RFC 2328 bodies (§A.4).

Every LSA class is a frozen dataclass whose first field is its :class:`LsaHeader`, followed by the
body fields in wire order. Each instance also carries ``raw``, the exact bytes of the whole LSA:

* for a decoded LSA, the bytes as received (an LSDB compares checksums and re-floods unchanged bytes,
  including any reserved bits we do not model);
* for a constructed LSA (or one made by ``dataclasses.replace``), the serialisation of its fields.

A decoded LSA is never re-encoded (``raw`` is its encoding), and a decoded router-LSA builds its
``links`` only when a body field is first read (see :class:`_LazyBodyField`); its framing is
checked at decode time all the same.

``raw`` is never an init argument, so ``replace`` cannot carry stale bytes along. The header's
``length`` and ``ls_checksum`` are taken as given; call :meth:`sealed` on a freshly built LSA to
compute both (the Fletcher checksum of §12.1.7, see ``checksum.py``). :meth:`with_age` changes LS age
only, in the fields and in ``raw`` (age is outside the checksum, §12.1.7).

Decoding (:func:`decode_lsa`) dispatches on LS type through :data:`LSA_CLASSES`; types without a
body decoder (6-11: group membership, NSSA, opaque...) become :class:`UnknownLsa` with opaque body
bytes. A wrong LS checksum is *not* a decode error: RFC 2328 §13 (1) discards that one LSA and keeps
processing the Link State Update, so the flooding code tests :attr:`LsaBase.checksum_ok`. A body that
does not fit its LSA length raises ``OspfDecodeError(BAD_LSA_LENGTH)`` if the checksum is good; if the
checksum is bad too, the LSA decodes to an :class:`UnknownLsa` (``checksum_ok`` False) so only that
LSA is discarded.
"""

from __future__ import annotations

import dataclasses
import enum
import struct
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import ClassVar, Self

from routesim.wire._buffer import Reader, Writer
from routesim.wire.errors import TruncatedError
from routesim.wire.ospf._util import (
    CodeCache,
    address,
    check_uint,
    fast_new,
    translate_truncation,
)
from routesim.wire.ospf.checksum import fletcher_checksum, fletcher_verify
from routesim.wire.ospf.errors import OspfDecodeError, OspfDropReason
from routesim.wire.ospf.header import Options

LSA_HEADER_LEN = 20

# Architectural constants of RFC 2328 Appendix B and §12.1.6.
MAX_AGE = 3600
MAX_AGE_DIFF = 900
LS_REFRESH_TIME = 1800
MIN_LS_INTERVAL = 5
MIN_LS_ARRIVAL = 1
CHECK_AGE = 300
LS_INFINITY = 0xFFFFFF
DO_NOT_AGE = 0x8000  # RFC 1793 §2.2: top bit of LS age
#: LS sequence numbers are signed 32-bit (§12.1.6); 0x80000000 is reserved.
INITIAL_SEQUENCE_NUMBER = -0x7FFFFFFF
MAX_SEQUENCE_NUMBER = 0x7FFFFFFF


class LsType(enum.IntEnum):
    """LS types (RFC 2328 §A.4.1; 6 RFC 1584, 7 RFC 3101, 8 RFC 1583bis, 9-11 RFC 5250)."""

    ROUTER = 1
    NETWORK = 2
    SUMMARY_NETWORK = 3
    SUMMARY_ASBR = 4
    AS_EXTERNAL = 5
    GROUP_MEMBERSHIP = 6
    NSSA_EXTERNAL = 7
    EXTERNAL_ATTRIBUTES = 8
    OPAQUE_LINK = 9
    OPAQUE_AREA = 10
    OPAQUE_AS = 11


class RouterLsaFlags(enum.IntFlag):
    """The flags byte of a router-LSA (§A.4.2; W RFC 1584, NT RFC 3101, H RFC 8770)."""

    B = 0x01  # area border router
    E = 0x02  # AS boundary router
    V = 0x04  # endpoint of a fully adjacent virtual link
    W = 0x08  # wild-card multicast receiver
    NT = 0x10  # NSSA translator
    H = 0x80  # host (not a transit router)


NO_ROUTER_FLAGS = RouterLsaFlags(0)
#: 0.0.0.0: the AS-external "no forwarding address" (§A.4.5) and the default mask.
UNSPECIFIED_ADDRESS = IPv4Address(0)


class RouterLinkType(enum.IntEnum):
    """Router-LSA link types (§A.4.2)."""

    POINT_TO_POINT = 1
    TRANSIT = 2
    STUB = 3
    VIRTUAL = 4


_LS_TYPES = CodeCache(LsType)
_OPTIONS = CodeCache(Options)
_ROUTER_FLAGS = CodeCache(RouterLsaFlags)
_LINK_TYPES = CodeCache(RouterLinkType)
_HEADER = struct.Struct("!HBBIIIHH")
_LINK = struct.Struct("!IIBBH")
_WORD = struct.Struct("!I")
_EXTERNAL = struct.Struct("!III")


def _truncated(pos: int, need: int, have: int) -> TruncatedError:
    return TruncatedError("truncated", pos, f"need {need} bytes at offset {pos}, have {have}")


def _seq_to_wire(value: int) -> int:
    if not -(1 << 31) <= value < (1 << 31):
        raise ValueError(f"ls_sequence_number={value} is not a signed 32-bit value")
    return value & 0xFFFFFFFF


def _seq_from_wire(value: int) -> int:
    return value - (1 << 32) if value & 0x80000000 else value


@dataclass(frozen=True)
class LsaHeader:
    """The LSA header (§A.4.1), also the unit of Database Description and LS Ack packets.

    ``ls_sequence_number`` is signed (§12.1.6: 0x80000001 is ``INITIAL_SEQUENCE_NUMBER`` = -0x7FFFFFFF).
    ``ls_age`` is the raw 16-bit field, DoNotAge bit included (see :attr:`age`, :attr:`do_not_age`).
    """

    ls_age: int
    options: Options
    ls_type: LsType | int
    link_state_id: IPv4Address
    advertising_router: IPv4Address
    ls_sequence_number: int
    ls_checksum: int = 0
    length: int = 0

    LENGTH: ClassVar[int] = LSA_HEADER_LEN

    @classmethod
    @translate_truncation
    def decode(cls, data: bytes) -> LsaHeader:
        """Parse the first 20 bytes of ``data``."""
        return cls._read(Reader(data))

    @classmethod
    def _read(cls, r: Reader) -> LsaHeader:
        if len(r.data) - r.pos < LSA_HEADER_LEN:
            raise _truncated(r.pos, LSA_HEADER_LEN, len(r.data) - r.pos)
        header = _header_at(r.data, r.pos)
        r.pos += LSA_HEADER_LEN
        return header

    def encode(self) -> bytes:
        w = Writer()
        w.u16(check_uint("ls_age", self.ls_age, 16))
        w.u8(check_uint("options", self.options, 8))
        w.u8(check_uint("ls_type", self.ls_type, 8))
        w.ipv4(self.link_state_id)
        w.ipv4(self.advertising_router)
        w.u32(_seq_to_wire(self.ls_sequence_number))
        w.u16(check_uint("ls_checksum", self.ls_checksum, 16))
        w.u16(check_uint("length", self.length, 16))
        return w.getvalue()

    @property
    def key(self) -> tuple[int, IPv4Address, IPv4Address]:
        """(LS type, Link State ID, Advertising Router): what identifies an LSA instance's LSA (§12.1)."""
        return (int(self.ls_type), self.link_state_id, self.advertising_router)

    @property
    def age(self) -> int:
        """LS age in seconds without the DoNotAge bit."""
        return self.ls_age & ~DO_NOT_AGE

    @property
    def do_not_age(self) -> bool:
        return bool(self.ls_age & DO_NOT_AGE)


def _header_at(data: bytes, pos: int) -> LsaHeader:
    """The LSA header at ``data[pos:pos + 20]`` (the caller checked the length)."""
    age, options, ls_type, lsid, adv, seq, checksum, length = _HEADER.unpack_from(data, pos)
    return fast_new(
        LsaHeader,
        ls_age=age,
        options=_OPTIONS[options],
        ls_type=_LS_TYPES[ls_type],
        link_state_id=address(lsid),
        advertising_router=address(adv),
        ls_sequence_number=seq - (1 << 32) if seq & 0x80000000 else seq,
        ls_checksum=checksum,
        length=length,
    )


@dataclass(frozen=True)
class LsaBase:
    """What every LSA class shares: the header, the exact bytes, sealing and aging."""

    header: LsaHeader
    raw: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "raw", self.header.encode() + self.encode_body())

    @classmethod
    def _decoded(cls, header: LsaHeader, *body: object) -> Self:
        """An instance from decoded fields, without ``__post_init__``: :func:`decode_lsa` sets
        ``raw`` to the received bytes, which *are* the encoding (no re-serialisation)."""
        names = cls._BODY_FIELDS
        return fast_new(cls, header=header, **dict(zip(names, body, strict=True)))

    _BODY_FIELDS: ClassVar[tuple[str, ...]] = ()

    def encode_body(self) -> bytes:
        raise NotImplementedError

    @classmethod
    def decode_body(cls, header: LsaHeader, r: Reader) -> Self:
        """Read the body from ``r`` (which holds exactly the body bytes). The result has no ``raw``
        yet: :func:`decode_lsa`, the only caller, sets it to the bytes received."""
        raise NotImplementedError

    def encode(self) -> bytes:
        """The whole LSA: the received bytes for a decoded LSA, else the fields serialised."""
        return self.raw

    @property
    def checksum_ok(self) -> bool:
        """True when the LS checksum of ``raw`` verifies (RFC 2328 §13 (1))."""
        return fletcher_verify(self.raw)

    def sealed(self) -> Self:
        """A copy with ``length`` and ``ls_checksum`` computed from the fields (§12.1.7, §A.4.1)."""
        body = self.encode_body()
        header = dataclasses.replace(self.header, length=LSA_HEADER_LEN + len(body), ls_checksum=0)
        checksum = fletcher_checksum(header.encode() + body)
        return dataclasses.replace(self, header=dataclasses.replace(header, ls_checksum=checksum))

    def with_age(self, ls_age: int) -> Self:
        """A copy with LS age set (in ``raw`` too); checksum and other bytes stay as they are.

        Only the two age bytes of ``raw`` change: LS age is outside the Fletcher checksum (§12.1.7),
        so nothing is re-encoded and the body fields are shared with ``self``.
        """
        check_uint("ls_age", ls_age, 16)
        header = fast_new(LsaHeader, **{**self.header.__dict__, "ls_age": ls_age})
        return fast_new(
            type(self), **{**self.__dict__, "header": header, "raw": ls_age.to_bytes(2, "big") + self.raw[2:]}
        )


@dataclass(frozen=True)
class TosMetric:
    """A TOS-specific metric (§A.4.2-§A.4.4; TOS routing was dropped, but the fields still parse)."""

    tos: int
    metric: int


@dataclass(frozen=True)
class RouterLink:
    """One link of a router-LSA (§A.4.2), with its TOS entries."""

    link_id: IPv4Address
    link_data: IPv4Address
    type: RouterLinkType | int
    metric: int
    tos_metrics: tuple[TosMetric, ...] = ()


@dataclass(frozen=True)
class RouterLsa(LsaBase):
    """Type 1 (§A.4.2): ``flags`` (V/E/B...) and the router's links into the area."""

    flags: RouterLsaFlags = NO_ROUTER_FLAGS
    links: tuple[RouterLink, ...] = ()

    def encode_body(self) -> bytes:
        w = Writer()
        w.u8(check_uint("flags", self.flags, 8))
        w.u8(0)
        w.u16(check_uint("# links", len(self.links), 16))
        for link in self.links:
            w.ipv4(link.link_id)
            w.ipv4(link.link_data)
            w.u8(check_uint("link type", link.type, 8))
            w.u8(check_uint("# TOS", len(link.tos_metrics), 8))
            w.u16(check_uint("metric", link.metric, 16))
            for tm in link.tos_metrics:
                w.u8(check_uint("tos", tm.tos, 8))
                w.u8(0)
                w.u16(check_uint("tos metric", tm.metric, 16))
        return w.getvalue()

    _BODY_FIELDS: ClassVar[tuple[str, ...]] = ("flags", "links")

    @classmethod
    def decode_body(cls, header: LsaHeader, r: Reader) -> RouterLsa:
        data, pos, end = r.data, r.pos, len(r.data)
        if end - pos < 4:
            raise _truncated(pos, 4, end - pos)
        flags, count = data[pos], int.from_bytes(data[pos + 2 : pos + 4], "big")
        pos += 4
        links = []
        for _ in range(count):
            if end - pos < 12:
                raise _truncated(pos, 12, end - pos)
            link_id, link_data, link_type, tos_count, metric = _LINK.unpack_from(data, pos)
            pos += 12
            tos_metrics: tuple[TosMetric, ...] = ()
            if tos_count:
                if end - pos < 4 * tos_count:
                    raise _truncated(pos, 4 * tos_count, end - pos)
                tos_metrics = tuple(
                    TosMetric(data[p], int.from_bytes(data[p + 2 : p + 4], "big"))
                    for p in range(pos, pos + 4 * tos_count, 4)
                )
                pos += 4 * tos_count
            links.append(
                fast_new(
                    RouterLink,
                    link_id=address(link_id),
                    link_data=address(link_data),
                    type=_LINK_TYPES[link_type],
                    metric=metric,
                    tos_metrics=tos_metrics,
                )
            )
        r.pos = pos
        return cls._decoded(header, _ROUTER_FLAGS[flags], tuple(links))


class _LazyBodyField:
    """A body field of a decoded LSA whose body objects are built on first access.

    :func:`decode_lsa` checks that a router-LSA body fits its length, but leaves the link objects
    unbuilt: most LSAs received are duplicates or older instances that flooding only needs the
    header of (§13 (7), (8)). The first access to a body field decodes ``raw`` and stores every
    body field in the instance ``__dict__``, which then shadows this non-data descriptor.
    Constructed instances set their fields in ``__init__`` and never reach it.
    """

    def __init__(self, name: str, default: object) -> None:
        self.name = name
        self.default = default

    def __get__(self, obj: LsaBase | None, owner: type[LsaBase]) -> object:
        if obj is None:
            if self.default is dataclasses.MISSING:
                raise AttributeError(self.name)
            return self.default
        values = obj.__dict__
        full = owner.decode_body(values["header"], Reader(values["raw"], LSA_HEADER_LEN))
        for name in owner._BODY_FIELDS:
            values.setdefault(name, full.__dict__[name])
        return values[self.name]


def _lazy_body(cls: type[LsaBase]) -> None:
    for f in dataclasses.fields(cls):
        if f.name in cls._BODY_FIELDS:
            setattr(cls, f.name, _LazyBodyField(f.name, f.default))


def _router_body_fits(raw: bytes) -> bool:
    """True when the router-LSA body in ``raw`` (the whole LSA) is well formed (§A.4.2): what
    ``RouterLsa.decode_body`` would accept, checked on offsets alone."""
    end = len(raw)
    pos = LSA_HEADER_LEN + 4
    if end < pos:
        return False
    for _ in range(int.from_bytes(raw[LSA_HEADER_LEN + 2 : pos], "big")):
        if end - pos < 12:
            return False
        pos += 12 + 4 * raw[pos + 9]
    return pos == end


_lazy_body(RouterLsa)


@dataclass(frozen=True)
class NetworkLsa(LsaBase):
    """Type 2 (§A.4.3): originated by the DR; the routers attached to the transit network."""

    network_mask: IPv4Address
    attached_routers: tuple[IPv4Address, ...] = ()

    def encode_body(self) -> bytes:
        return self.network_mask.packed + b"".join(a.packed for a in self.attached_routers)

    _BODY_FIELDS: ClassVar[tuple[str, ...]] = ("network_mask", "attached_routers")

    @classmethod
    def decode_body(cls, header: LsaHeader, r: Reader) -> NetworkLsa:
        mask = address(r.u32())
        if r.remaining % 4:
            raise OspfDecodeError(OspfDropReason.BAD_LSA_LENGTH, header.length, "network-LSA body not 4n")
        routers = tuple(address(w) for (w,) in _WORD.iter_unpack(r.bytes(r.remaining)))
        return cls._decoded(header, mask, routers)


@dataclass(frozen=True)
class SummaryLsa(LsaBase):
    """Type 3 (§A.4.4): an inter-area route to a network; type 4 is :class:`AsbrSummaryLsa`."""

    network_mask: IPv4Address
    metric: int
    tos_metrics: tuple[TosMetric, ...] = ()

    def encode_body(self) -> bytes:
        w = Writer()
        w.ipv4(self.network_mask)
        w.u32(check_uint("metric", self.metric, 24))
        for tm in self.tos_metrics:
            w.u32((check_uint("tos", tm.tos, 8) << 24) | check_uint("tos metric", tm.metric, 24))
        return w.getvalue()

    _BODY_FIELDS: ClassVar[tuple[str, ...]] = ("network_mask", "metric", "tos_metrics")

    @classmethod
    def decode_body(cls, header: LsaHeader, r: Reader) -> Self:
        mask = address(r.u32())
        metric = r.u32() & 0xFFFFFF
        if r.remaining % 4:
            raise OspfDecodeError(OspfDropReason.BAD_LSA_LENGTH, header.length, "summary-LSA body")
        tos = tuple(TosMetric(w >> 24, w & 0xFFFFFF) for (w,) in _WORD.iter_unpack(r.bytes(r.remaining)))
        return cls._decoded(header, mask, metric, tos)


@dataclass(frozen=True)
class AsbrSummaryLsa(SummaryLsa):
    """Type 4 (§A.4.4): a route to an AS boundary router; Link State ID is its Router ID, mask 0."""


@dataclass(frozen=True)
class ExternalTosRoute:
    """A TOS-specific entry of an AS-external-LSA (§A.4.5)."""

    e_bit: bool
    tos: int
    metric: int
    forwarding_address: IPv4Address
    external_route_tag: int


@dataclass(frozen=True)
class AsExternalLsa(LsaBase):
    """Type 5 (§A.4.5): a route to a destination outside the AS. ``e_bit`` set = type 2 metric."""

    network_mask: IPv4Address
    e_bit: bool
    metric: int
    forwarding_address: IPv4Address = UNSPECIFIED_ADDRESS
    external_route_tag: int = 0
    tos_routes: tuple[ExternalTosRoute, ...] = ()

    def encode_body(self) -> bytes:
        w = Writer()
        w.ipv4(self.network_mask)
        entries = [
            ExternalTosRoute(self.e_bit, 0, self.metric, self.forwarding_address, self.external_route_tag)
        ]
        for e in (*entries, *self.tos_routes):
            first = (0x80 if e.e_bit else 0) | check_uint("tos", e.tos, 7)
            w.u32((first << 24) | check_uint("metric", e.metric, 24))
            w.ipv4(e.forwarding_address)
            w.u32(check_uint("external_route_tag", e.external_route_tag, 32))
        return w.getvalue()

    _BODY_FIELDS: ClassVar[tuple[str, ...]] = (
        "network_mask",
        "e_bit",
        "metric",
        "forwarding_address",
        "external_route_tag",
        "tos_routes",
    )

    @classmethod
    def decode_body(cls, header: LsaHeader, r: Reader) -> AsExternalLsa:
        mask = address(r.u32())
        if r.remaining < 12 or r.remaining % 12:
            raise OspfDecodeError(OspfDropReason.BAD_LSA_LENGTH, header.length, "AS-external-LSA body")
        entries = [
            ExternalTosRoute(bool(word >> 31), (word >> 24) & 0x7F, word & 0xFFFFFF, address(fwd), tag)
            for word, fwd, tag in _EXTERNAL.iter_unpack(r.bytes(r.remaining))
        ]
        first = entries[0]
        return cls._decoded(
            header,
            mask,
            first.e_bit,
            first.metric,
            first.forwarding_address,
            first.external_route_tag,
            tuple(entries[1:]),
        )


@dataclass(frozen=True)
class UnknownLsa(LsaBase):
    """An LSA whose type has no body decoder here (or whose body is corrupt and checksum bad)."""

    body: bytes = b""

    def encode_body(self) -> bytes:
        return self.body

    _BODY_FIELDS: ClassVar[tuple[str, ...]] = ("body",)

    @classmethod
    def decode_body(cls, header: LsaHeader, r: Reader) -> UnknownLsa:
        return cls._decoded(header, r.bytes(r.remaining))


Lsa = RouterLsa | NetworkLsa | SummaryLsa | AsbrSummaryLsa | AsExternalLsa | UnknownLsa

#: LS type -> class; anything else decodes to UnknownLsa.
LSA_CLASSES: dict[int, type[LsaBase]] = {
    LsType.ROUTER: RouterLsa,
    LsType.NETWORK: NetworkLsa,
    LsType.SUMMARY_NETWORK: SummaryLsa,
    LsType.SUMMARY_ASBR: AsbrSummaryLsa,
    LsType.AS_EXTERNAL: AsExternalLsa,
}


def decode_lsa(data: bytes, offset: int = 0) -> Lsa:
    """Decode the LSA starting at ``data[offset]`` (``data`` may continue past it: ``header.length``).

    Raises ``OspfDecodeError`` for a header shorter than 20 bytes, a length field < 20 or past the end
    of ``data``, or (checksum good) a body that does not fill its length exactly.
    """
    if len(data) - offset < LSA_HEADER_LEN:
        raise OspfDecodeError(
            OspfDropReason.TRUNCATED, offset, f"LSA header needs 20 bytes, have {len(data) - offset}"
        )
    header = _header_at(data, offset)
    if header.length < LSA_HEADER_LEN or header.length > len(data) - offset:
        raise OspfDecodeError(OspfDropReason.BAD_LSA_LENGTH, header.length, f"LSA length {header.length}")
    raw = bytes(data[offset : offset + header.length])
    cls = LSA_CLASSES.get(header.ls_type, UnknownLsa)
    if cls is RouterLsa and _router_body_fits(raw):
        # body objects built on first access (_LazyBodyField); raw is the encoding
        return fast_new(RouterLsa, header=header, raw=raw)  # type: ignore[return-value]
    r = Reader(raw, LSA_HEADER_LEN)
    try:
        lsa = cls.decode_body(header, r)
        if r.remaining:
            raise OspfDecodeError(
                OspfDropReason.BAD_LSA_LENGTH, header.length, "bytes left after the LSA body"
            )
    except (TruncatedError, OspfDecodeError) as exc:
        if fletcher_verify(raw):
            if isinstance(exc, OspfDecodeError):
                raise
            raise OspfDecodeError(OspfDropReason.BAD_LSA_LENGTH, header.length, f"LSA body: {exc}") from None
        lsa = UnknownLsa._decoded(header, raw[LSA_HEADER_LEN:])
    lsa.__dict__["raw"] = raw  # the received bytes are the encoding: no __post_init__ re-encode
    return lsa  # type: ignore[return-value]
