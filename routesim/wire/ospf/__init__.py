"""OSPFv2 wire codec (RFC 2328): bytes <-> frozen dataclasses, no IO, no state.

Map
---
==============  =============================================================================
``header.py``   24-byte packet header ``OspfHeader``; ``PacketType``, ``AuType``, ``Options``
``hello.py``    ``Hello`` (§A.3.2)
``dbd.py``      ``DatabaseDescription`` and ``DdFlags`` I/M/MS (§A.3.3)
``lsr.py``      ``LinkStateRequest`` of ``LsRequest`` keys (§A.3.4)
``lsu.py``      ``LinkStateUpdate`` carrying LSAs (§A.3.5)
``lsack.py``    ``LinkStateAck`` of LSA headers (§A.3.6)
``lsa.py``      ``LsaHeader`` (§A.4.1); ``RouterLsa``, ``NetworkLsa``, ``SummaryLsa``,
                ``AsbrSummaryLsa``, ``AsExternalLsa``, ``UnknownLsa``; ``decode_lsa``; LS types,
                router-LSA flags V/E/B and link types; architectural constants (MaxAge...)
``checksum.py`` IP one's-complement packet checksum (§A.3.1) and the LSA Fletcher checksum
                (§12.1.7, RFC 905 Annex B): compute, verify, fill in place
``auth.py``     null / simple password / keyed-MD5 authentication (Appendix D)
``packet.py``   ``decode_packet`` (validation order of §8.2) and ``encode_packet``; ``OspfPacket``
``errors.py``   ``OspfDecodeError(DecodeError)`` with an ``OspfDropReason`` token
``_util.py``    private helpers (truncation -> OspfDecodeError, encode-time range checks, the
                decode fast paths: cached ``IPv4Address``/enum values, ``fast_new``); its
                ``address(int)`` (shared addresses that keep their hash) is exported as
                ``shared_address`` for the raw-socket driver
==============  =============================================================================

How a packet flows
------------------
Receive: the driver hands the IP payload (proto 89) to ``decode_packet(data, auth=...)``, which
returns ``OspfPacket(header, body, trailer)`` or raises ``OspfDecodeError``; the engine counts the
drop by ``err.reason``. Dispatch is the table ``packet.BODY_CLASSES`` (type byte -> class); LSAs go
through ``lsa.LSA_CLASSES``. Send: the engine builds a body and calls
``encode_packet(router_id, area_id, body, auth=..., crypto_seq=...)``, which fills type, length,
checksum (or MD5 digest) and the authentication field.

Every body class has a mirror pair ``Cls.decode(body_bytes)`` / ``obj.encode()``; LSAs have
``decode_lsa(data)`` / ``lsa.encode()`` (= ``lsa.raw``). A decoded LSA keeps its exact received bytes
in ``raw`` and re-encodes to them; a built LSA gets its length and Fletcher checksum from
``lsa.sealed()``, and flooding changes LS age with ``lsa.with_age(age)``.

Cost (the decoder runs for every packet of every router): a decoded LSA is never re-serialised
(``raw`` is the encoding); ``with_age`` patches the two age bytes of ``raw`` (age is outside the
Fletcher checksum, §12.1.7); a router-LSA's links are checked for framing at decode time but built
on first access to ``flags``/``links`` (flooding mostly needs only the header); headers and bodies
are unpacked with ``struct`` and share cached ``IPv4Address`` objects; the packet checksum folds the
buffer as one integer.

What the codec checks and what it leaves to the engine: see the ``packet`` module docstring. In
short, version, lengths, header checksum, AuType, authentication (when configured), body framing and
LSA lengths are the codec's; area, Router ID, Hello parameter, DD sequence and crypto sequence
number checks are the engine's. A bad LS checksum is *not* a decode error: ``lsa.checksum_ok`` is
False and the flooding code discards that LSA only (§13 (1)).

Supported standards
-------------------
* RFC 2328 OSPFv2 packets and LSA types 1-5, Appendix D authentication (one MD5 key per config).
* Options and flag bits of later RFCs are named (RFC 5250 O, RFC 3101 N/P and NT, RFC 4576 DN,
  RFC 5613 L, RFC 4811 R, RFC 8770 H); their meaning is not implemented.

Deviations and limits
---------------------
* LSA types 6-11 (group membership, NSSA, opaque...) decode to ``UnknownLsa`` (opaque body).
* LLS blocks (RFC 5613) and anything else after ``packet length`` are kept in ``trailer``, unparsed.
* TOS metrics are parsed and kept, never used (RFC 2328 §A.4.2 keeps them for compatibility).
* Body framing is strict: bytes left inside ``packet length`` after the last Hello neighbor, LSA
  header or counted LSA are an error (``length``/``lsa-count``).
* ``ls_sequence_number`` is a signed int (§12.1.6); ``dd_sequence_number`` is unsigned.
"""

from routesim.wire.ospf._util import address as shared_address
from routesim.wire.ospf.auth import (
    Authentication,
    CryptographicAuth,
    NullAuth,
    SimplePasswordAuth,
    crypto_sequence_acceptable,
)
from routesim.wire.ospf.checksum import fletcher_checksum, fletcher_verify, ospf_packet_checksum
from routesim.wire.ospf.dbd import DatabaseDescription, DdFlags
from routesim.wire.ospf.errors import OspfDecodeError, OspfDropReason
from routesim.wire.ospf.header import AuType, Options, OspfHeader, PacketType
from routesim.wire.ospf.hello import Hello
from routesim.wire.ospf.lsa import (
    AsbrSummaryLsa,
    AsExternalLsa,
    ExternalTosRoute,
    Lsa,
    LsaHeader,
    LsType,
    NetworkLsa,
    RouterLink,
    RouterLinkType,
    RouterLsa,
    RouterLsaFlags,
    SummaryLsa,
    TosMetric,
    UnknownLsa,
    decode_lsa,
)
from routesim.wire.ospf.lsack import LinkStateAck
from routesim.wire.ospf.lsr import LinkStateRequest, LsRequest
from routesim.wire.ospf.lsu import LinkStateUpdate
from routesim.wire.ospf.packet import Body, OspfPacket, decode_packet, encode_packet

__all__ = [
    "AsExternalLsa",
    "AsbrSummaryLsa",
    "AuType",
    "Authentication",
    "Body",
    "CryptographicAuth",
    "DatabaseDescription",
    "DdFlags",
    "ExternalTosRoute",
    "Hello",
    "LinkStateAck",
    "LinkStateRequest",
    "LinkStateUpdate",
    "LsRequest",
    "LsType",
    "Lsa",
    "LsaHeader",
    "NetworkLsa",
    "NullAuth",
    "Options",
    "OspfDecodeError",
    "OspfDropReason",
    "OspfHeader",
    "OspfPacket",
    "PacketType",
    "RouterLink",
    "RouterLinkType",
    "RouterLsa",
    "RouterLsaFlags",
    "SimplePasswordAuth",
    "SummaryLsa",
    "TosMetric",
    "UnknownLsa",
    "crypto_sequence_acceptable",
    "decode_lsa",
    "decode_packet",
    "encode_packet",
    "fletcher_checksum",
    "fletcher_verify",
    "ospf_packet_checksum",
    "shared_address",
]
