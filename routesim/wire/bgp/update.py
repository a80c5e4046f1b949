"""UPDATE message (RFC 4271 §4.3) and its error handling (RFC 4271 §6.3 as revised by RFC 7606).

API::

    update = Update.decode(message_bytes, negotiated)   # whole message, header included
    update = Update.decode_body(body, negotiated)        # body only (after the 19-octet header)
    data = update.encode(negotiated)                     # whole message; ValueError if > 4096

``decode`` raises ``BgpError`` only when the session must be reset (RFC 7606 §2 "session reset"):

- Withdrawn Routes Length or Total Path Attribute Length running past the message -> 3/1
  Malformed Attribute List (RFC 7606 §4: the NLRI cannot be located);
- a bad prefix in Withdrawn Routes or NLRI -> 3/10 Invalid Network Field (RFC 7606 §5.3);
- an unrecognized well-known attribute -> 3/2 (data: the attribute);
- a repeated MP_REACH_NLRI / MP_UNREACH_NLRI -> 3/1 (RFC 7606 §3 g).

Every milder error comes back in ``Update.errors`` (a tuple of ``BgpError`` with ``handling`` below
SESSION_RESET) and the rest of the message is still decoded:

- ATTRIBUTE_DISCARD: the attribute is left out of ``attributes`` (ATOMIC_AGGREGATE, AGGREGATOR,
  AS4_*, duplicates of any non-MP attribute: RFC 7606 §3 g, §7);
- TREAT_AS_WITHDRAW: the malformed attribute is left out and the receiver must treat every prefix of
  the message (``nlri`` and MP_REACH) as withdrawn (``update.treat_as_withdraw``; use
  ``withdrawn_prefixes()``/``announced_prefixes()``, which already do so). Includes a missing
  ORIGIN/AS_PATH/NEXT_HOP (and LOCAL_PREF on iBGP) when NLRI is present: 3/3, data = the type code
  (RFC 7606 §3 d), and an attribute overrunning the Path Attributes field (3/5, RFC 7606 §4);
- AFI_SAFI_DISABLE: a malformed MP_(UN)REACH_NLRI (3/9, RFC 7606 §7.11); an IPv4-only engine
  resets the session.

``update.handling`` is the worst handling among ``errors`` (NONE when clean). The NOTIFICATION code,
subcode and data of each error are what RFC 4271 §6.3 prescribes, so an engine that prefers the old
behaviour can send ``error.notification()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from routesim.wire.bgp.attributes import (
    AsPath,
    Attribute,
    AttrType,
    Communities,
    LocalPref,
    MpReachNlri,
    MpUnreachNlri,
    MultiExitDisc,
    NextHop,
    Origin,
    decode_attributes,
    encode_attributes,
)
from routesim.wire.bgp.errors import BgpError, ErrorHandling
from routesim.wire.bgp.framing import HEADER_LENGTH, MARKER, frame, message_body
from routesim.wire.bgp.negotiated import DEFAULT, IPV4_UNICAST, Negotiated
from routesim.wire.bgp.nlri import InvalidPrefix, Prefix, decode_prefixes, encode_prefixes, prefix_size
from routesim.wire.bgp.notification import ErrorCode, UpdateSubcode

_EMPTY_ERRORS: tuple[BgpError, ...] = ()
_new = object.__new__
#: RFC 4271 §6.3 / RFC 4760 §3: the mandatory attributes, in this order, by (NLRI present, iBGP).
_REQUIRED: dict[tuple[bool, bool], tuple[int, ...]] = {
    (nlri, internal): (AttrType.ORIGIN, AttrType.AS_PATH)
    + ((AttrType.NEXT_HOP,) if nlri else ())
    + ((AttrType.LOCAL_PREF,) if internal else ())
    for nlri in (False, True)
    for internal in (False, True)
}


def _session_reset(subcode: int, reason: str, data: bytes = b"") -> BgpError:
    return BgpError(ErrorCode.UPDATE_MESSAGE_ERROR, subcode, data, reason=reason)


@dataclass(frozen=True)
class Update:
    """RFC 4271 §4.3. Prefixes are ``nlri.Prefix`` tuples; ``errors`` lists the non-fatal problems
    found while decoding (empty for messages we build)."""

    withdrawn: tuple[Prefix, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    nlri: tuple[Prefix, ...] = ()
    errors: tuple[BgpError, ...] = ()

    TYPE = 2

    # -- codec ---------------------------------------------------------------------------------

    @classmethod
    def decode(cls, data: bytes, negotiated: Negotiated = DEFAULT) -> Update:
        """Decode one whole UPDATE message (header included)."""
        n = len(data)
        if (
            23 <= n <= negotiated.max_message_length
            and data[18] == 2
            and ((data[16] << 8) | data[17]) == n
            and data[:16] == MARKER
        ):  # a well-formed header (what message_body checks, without building its error cases)
            return cls.decode_body(bytes(data[HEADER_LENGTH:]), negotiated)
        return cls.decode_body(message_body(data, cls.TYPE, negotiated.max_message_length), negotiated)

    @classmethod
    def decode_body(cls, body: bytes, negotiated: Negotiated = DEFAULT) -> Update:
        n = len(body)
        if n < 4:
            raise _session_reset(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, "update-too-short")
        wlen = (body[0] << 8) | body[1]
        if 4 + wlen > n:  # RFC 4271 §6.3 / RFC 7606 §4
            raise _session_reset(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, "withdrawn-length")
        astart = 4 + wlen
        alen = (body[astart - 2] << 8) | body[astart - 1]
        aend = astart + alen
        if aend > n:
            raise _session_reset(UpdateSubcode.MALFORMED_ATTRIBUTE_LIST, "attribute-length")
        try:
            withdrawn = decode_prefixes(body, 2, astart - 2) if wlen else ()
            nlri = decode_prefixes(body, aend, n) if aend < n else ()
        except InvalidPrefix as exc:  # RFC 7606 §5.3: session reset
            raise _session_reset(UpdateSubcode.INVALID_NETWORK_FIELD, exc.reason) from exc
        if not alen:
            return cls(tuple(withdrawn), (), tuple(nlri))
        attrs, errors, seen = decode_attributes(body, astart, aend, negotiated)
        # RFC 4271 §6.3 / RFC 4760 §3: mandatory attributes when something is announced.
        has_mp_reach = 14 in seen  # MP_REACH_NLRI
        if nlri or has_mp_reach:
            required = _REQUIRED[bool(nlri), negotiated.internal]
            if not seen.issuperset(required):
                for code in required:
                    if code in seen:
                        continue
                    # RFC 7606 §3 d: treat-as-withdraw
                    errors.append(
                        BgpError(
                            ErrorCode.UPDATE_MESSAGE_ERROR,
                            UpdateSubcode.MISSING_WELL_KNOWN_ATTRIBUTE,
                            bytes((code,)),
                            handling=ErrorHandling.TREAT_AS_WITHDRAW,
                            reason=f"missing-{code}",
                        )
                    )
        # The frozen dataclass's __init__ without its per-field setattr calls (a hot path: one per UPDATE).
        update = _new(cls)
        update.__dict__.update(
            withdrawn=tuple(withdrawn),
            attributes=tuple(attrs),
            nlri=tuple(nlri),
            errors=tuple(errors) if errors else _EMPTY_ERRORS,
        )
        return update

    def encode_body(self, negotiated: Negotiated = DEFAULT) -> bytes:
        withdrawn = encode_prefixes(self.withdrawn)
        attrs = encode_attributes(self.attributes, negotiated)
        return (
            len(withdrawn).to_bytes(2, "big")
            + withdrawn
            + len(attrs).to_bytes(2, "big")
            + attrs
            + encode_prefixes(self.nlri)
        )

    def encode(self, negotiated: Negotiated = DEFAULT) -> bytes:
        return frame(self.TYPE, self.encode_body(negotiated), negotiated.max_message_length)

    # -- error handling views ------------------------------------------------------------------

    @property
    def handling(self) -> ErrorHandling:
        """The worst RFC 7606 handling among ``errors`` (NONE for a clean message)."""
        return max((e.handling for e in self.errors), default=ErrorHandling.NONE)

    @property
    def treat_as_withdraw(self) -> bool:
        return self.handling == ErrorHandling.TREAT_AS_WITHDRAW

    def announced_prefixes(self) -> tuple[Prefix, ...]:
        """IPv4 unicast prefixes this message makes reachable (NLRI + MP_REACH); none under
        treat-as-withdraw."""
        if self.handling >= ErrorHandling.TREAT_AS_WITHDRAW:
            return ()
        mp = self.mp_reach
        if mp is not None and (mp.afi, mp.safi) == IPV4_UNICAST:
            return self.nlri + mp.nlri
        return self.nlri

    def withdrawn_prefixes(self) -> tuple[Prefix, ...]:
        """IPv4 unicast prefixes withdrawn: Withdrawn Routes + MP_UNREACH, plus every announced prefix
        under treat-as-withdraw (RFC 7606 §2)."""
        out = self.withdrawn
        mp_un = self.mp_unreach
        if mp_un is not None and (mp_un.afi, mp_un.safi) == IPV4_UNICAST:
            out += mp_un.withdrawn
        if self.handling == ErrorHandling.TREAT_AS_WITHDRAW:
            out += self.nlri
            mp = self.mp_reach
            if mp is not None and (mp.afi, mp.safi) == IPV4_UNICAST:
                out += mp.nlri
        return out

    @property
    def is_end_of_rib(self) -> bool:
        """RFC 4724 §2: the IPv4 unicast End-of-RIB is an UPDATE with nothing in it."""
        return not (self.withdrawn or self.attributes or self.nlri or self.errors)

    # -- attribute access ----------------------------------------------------------------------

    @cached_property
    def _by_code(self) -> dict[int, Attribute]:
        return {a.type_code: a for a in reversed(self.attributes)}

    def get(self, type_code: int) -> Any:
        """The attribute with this type code, or None."""
        return self._by_code.get(type_code)

    @property
    def origin(self) -> Origin | None:
        return self._by_code.get(AttrType.ORIGIN)  # type: ignore[return-value]

    @property
    def as_path(self) -> AsPath | None:
        return self._by_code.get(AttrType.AS_PATH)  # type: ignore[return-value]

    @property
    def next_hop(self) -> NextHop | None:
        return self._by_code.get(AttrType.NEXT_HOP)  # type: ignore[return-value]

    @property
    def med(self) -> MultiExitDisc | None:
        return self._by_code.get(AttrType.MULTI_EXIT_DISC)  # type: ignore[return-value]

    @property
    def local_pref(self) -> LocalPref | None:
        return self._by_code.get(AttrType.LOCAL_PREF)  # type: ignore[return-value]

    @property
    def communities(self) -> Communities | None:
        return self._by_code.get(AttrType.COMMUNITIES)  # type: ignore[return-value]

    @property
    def mp_reach(self) -> MpReachNlri | None:
        return self._by_code.get(AttrType.MP_REACH_NLRI)  # type: ignore[return-value]

    @property
    def mp_unreach(self) -> MpUnreachNlri | None:
        return self._by_code.get(AttrType.MP_UNREACH_NLRI)  # type: ignore[return-value]


def pack_updates(
    attributes: tuple[Attribute, ...],
    nlri: tuple[Prefix, ...] | list[Prefix] = (),
    withdrawn: tuple[Prefix, ...] | list[Prefix] = (),
    negotiated: Negotiated = DEFAULT,
) -> list[Update]:
    """Split withdrawals and announcements sharing ``attributes`` into as few UPDATEs as fit the
    message size limit (RFC 4271 §4.3: 4096 octets). Withdrawals go first, in messages without
    attributes; an empty input gives an empty list."""
    limit = negotiated.max_message_length - HEADER_LENGTH - 4
    out: list[Update] = []
    batch: list[Prefix] = []
    size = 0
    for p in withdrawn:
        s = prefix_size(p)
        if size + s > limit:
            out.append(Update(withdrawn=tuple(batch)))
            batch, size = [], 0
        batch.append(p)
        size += s
    if batch:
        out.append(Update(withdrawn=tuple(batch)))
    if nlri:
        attr_len = len(encode_attributes(attributes, negotiated))
        room = limit - attr_len
        if room < 5:
            raise ValueError("path attributes leave no room for NLRI")
        batch, size = [], 0
        for p in nlri:
            s = prefix_size(p)
            if size + s > room:
                out.append(Update(attributes=attributes, nlri=tuple(batch)))
                batch, size = [], 0
            batch.append(p)
            size += s
        out.append(Update(attributes=attributes, nlri=tuple(batch)))
    return out
