"""BGP-4 wire codec (RFC 4271): bytes <-> frozen message dataclasses. Pure functions, no IO.

Map (one concept per file):

| file | owns |
| --- | --- |
| ``framing.py`` | 19-octet header, ``MessageType``, header checks (§6.1), streaming ``Framer`` |
| ``message.py`` | type -> class table, ``decode_message``/``encode_message``, the ``Message`` union |
| ``negotiated.py`` | ``Negotiated``: what the OPEN exchange decided (4-octet AS, AFI/SAFIs, iBGP) |
| ``open.py`` | ``Open`` (§4.2) and its checks (§6.2), ``AS_TRANS`` |
| ``capabilities.py`` | RFC 5492 capabilities: Multiprotocol, Route Refresh (2 and Cisco 128), 4-octet AS, Extended Message, ``UnknownCapability`` |
| ``update.py`` | ``Update`` (§4.3), UPDATE error handling (§6.3 + RFC 7606), ``pack_updates`` |
| ``lean.py`` | ``decode_lean``: an ordinary UPDATE straight to values (prefix keys, plain attributes), None whenever ``Update.decode`` has anything to say (a full table's hot path) |
| ``attributes.py`` | path attribute classes and the ``ATTRIBUTES`` table (code -> flags, decoder, encoder, RFC 7606 handling) |
| ``as4.py`` | AS_PATH/AS4_PATH and AGGREGATOR/AS4_AGGREGATOR toward and from 2-octet speakers (RFC 6793 §4.2) |
| ``nlri.py`` | ``Prefix`` and the fast prefix codec (§4.3), prefixes as int keys |
| ``notification.py`` | ``Notification`` (§4.5) and every code/subcode enum (RFC 4271, 4486, 5492, 6608, 7313) |
| ``keepalive.py``, ``route_refresh.py`` | ``Keepalive`` (§4.4), ``RouteRefresh`` (RFC 2918, RFC 7313 subtypes) |
| ``errors.py`` | ``BgpError(DecodeError)`` (code, subcode, data, handling) and ``ErrorHandling`` (RFC 7606 §2) |

How bytes flow in: the router's TCP reader calls ``Framer.feed(data)``, which yields whole messages
after checking each header; the engine decodes each with ``decode_message(msg, negotiated)`` using the
``Negotiated`` of that moment (``Negotiated()`` until both OPENs are in, then
``Negotiated.from_opens(ours, theirs)``). Every message class has the mirror pair
``X.decode(data, negotiated)`` / ``x.encode(negotiated)`` on whole messages (header included), and
``decode_body``/``encode_body`` without the header.
A peer's bad bytes raise ``BgpError`` only (carrying NOTIFICATION code/subcode/data and the RFC 7606
handling); our own invalid messages raise ``ValueError``. UPDATE errors milder than session reset
come back in ``Update.errors`` instead of raising (see ``update.py``).

Supported standards: RFC 4271 (BGP-4), RFC 5492 (capabilities), RFC 4760 (multiprotocol: IPv4
unicast/multicast decoded, other families opaque), RFC 6793 (4-octet AS), RFC 2918 and RFC 7313
(route refresh), RFC 1997 (communities), RFC 4486 (Cease subcodes), RFC 6608 (FSM subcodes), RFC 7606
(revised error handling), RFC 7607 (AS 0), RFC 6286 (BGP identifier), RFC 4724 (End-of-RIB marker).

Deviations and gaps: no RFC 8654 extended messages beyond the length limit, no RFC 9072 extended
optional parameters (refused as 2/4), no ADD-PATH, no IPv6; ORIGINATOR_ID, CLUSTER_LIST, extended and
large communities are kept as opaque ``UnknownAttribute``; trailing host bits of a prefix are
cleared on decode, so such a message does not re-encode byte for byte; NEXT_HOP's semantic checks
(our own address, shared subnet) and peer-AS checks are left to the engine.
"""

from routesim.wire.bgp.as4 import for_old_speaker, from_old_speaker, merge_as_paths
from routesim.wire.bgp.attributes import (
    ATTRIBUTES,
    NO_ADVERTISE,
    NO_EXPORT,
    NO_EXPORT_SUBCONFED,
    Aggregator,
    As4Aggregator,
    As4Path,
    AsPath,
    AsPathSegment,
    AtomicAggregate,
    AttrFlags,
    Attribute,
    AttrType,
    Communities,
    LocalPref,
    MpReachNlri,
    MpUnreachNlri,
    MultiExitDisc,
    NextHop,
    Origin,
    OriginType,
    SegmentType,
    UnknownAttribute,
    attributes_for_propagation,
    community,
)
from routesim.wire.bgp.capabilities import (
    CapabilityCode,
    ExtendedMessage,
    FourOctetAs,
    Multiprotocol,
    RouteRefreshCapability,
    UnknownCapability,
    unsupported_capability_error,
)
from routesim.wire.bgp.errors import BgpError, ErrorHandling
from routesim.wire.bgp.framing import Framer, MessageType, check_header
from routesim.wire.bgp.keepalive import KEEPALIVE, Keepalive
from routesim.wire.bgp.message import MESSAGE_TYPES, Message, decode_message, encode_message
from routesim.wire.bgp.negotiated import DEFAULT, Negotiated
from routesim.wire.bgp.nlri import Prefix, decode_prefixes, encode_prefixes
from routesim.wire.bgp.notification import (
    CeaseSubcode,
    ErrorCode,
    FsmSubcode,
    MessageHeaderSubcode,
    Notification,
    OpenSubcode,
    RouteRefreshSubcode,
    UpdateSubcode,
)
from routesim.wire.bgp.open import AS_TRANS, Open
from routesim.wire.bgp.route_refresh import RouteRefresh, RouteRefreshSubtype
from routesim.wire.bgp.update import Update, pack_updates

__all__ = [
    "AS_TRANS",
    "ATTRIBUTES",
    "DEFAULT",
    "KEEPALIVE",
    "MESSAGE_TYPES",
    "NO_ADVERTISE",
    "NO_EXPORT",
    "NO_EXPORT_SUBCONFED",
    "Aggregator",
    "As4Aggregator",
    "As4Path",
    "AsPath",
    "AsPathSegment",
    "AtomicAggregate",
    "AttrFlags",
    "AttrType",
    "Attribute",
    "BgpError",
    "CapabilityCode",
    "CeaseSubcode",
    "Communities",
    "ErrorCode",
    "ErrorHandling",
    "ExtendedMessage",
    "FourOctetAs",
    "Framer",
    "FsmSubcode",
    "Keepalive",
    "LocalPref",
    "Message",
    "MessageHeaderSubcode",
    "MessageType",
    "MpReachNlri",
    "MpUnreachNlri",
    "MultiExitDisc",
    "Multiprotocol",
    "Negotiated",
    "NextHop",
    "Notification",
    "Open",
    "OpenSubcode",
    "Origin",
    "OriginType",
    "Prefix",
    "RouteRefresh",
    "RouteRefreshCapability",
    "RouteRefreshSubcode",
    "RouteRefreshSubtype",
    "SegmentType",
    "UnknownAttribute",
    "UnknownCapability",
    "Update",
    "UpdateSubcode",
    "attributes_for_propagation",
    "check_header",
    "community",
    "decode_message",
    "decode_prefixes",
    "encode_message",
    "encode_prefixes",
    "for_old_speaker",
    "from_old_speaker",
    "merge_as_paths",
    "pack_updates",
    "unsupported_capability_error",
]
