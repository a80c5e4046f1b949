"""``Negotiated``: what the two OPENs agreed that changes how later messages are encoded.

Passed to every ``decode``/``encode`` whose bytes depend on the session (GoBGP's
``MarshallingOption``, ExaBGP's ``negotiated``). Before the OPEN exchange, use ``Negotiated()``:
2-octet AS numbers, IPv4 unicast only, external session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from routesim.wire.bgp.open import Open

AFI_IPV4 = 1
SAFI_UNICAST = 1
SAFI_MULTICAST = 2
IPV4_UNICAST = (AFI_IPV4, SAFI_UNICAST)

#: RFC 4271 §4.1: the largest message without RFC 8654 extended messages.
MAX_MESSAGE_LENGTH = 4096
MAX_EXTENDED_MESSAGE_LENGTH = 65535


@dataclass(frozen=True)
class Negotiated:
    """Session-dependent encoding choices.

    - ``four_octet_as``: both OPENs carried the RFC 6793 capability, so AS_PATH and AGGREGATOR use
      4-octet AS numbers.
    - ``afi_safis``: the (AFI, SAFI) pairs both sides announced (RFC 4760 §8); IPv4 unicast when
      neither sent a Multiprotocol capability.
    - ``internal``: an iBGP session (peer AS == local AS): LOCAL_PREF becomes mandatory (RFC 4271
      §5.1.5) when the UPDATE carries NLRI.
    - ``extended_message``: RFC 8654 (both sides); only raises the framer's length limit.
    """

    four_octet_as: bool = False
    afi_safis: frozenset[tuple[int, int]] = frozenset({IPV4_UNICAST})
    route_refresh: bool = False
    internal: bool = False
    extended_message: bool = False

    @property
    def max_message_length(self) -> int:
        return MAX_EXTENDED_MESSAGE_LENGTH if self.extended_message else MAX_MESSAGE_LENGTH

    @classmethod
    def from_opens(cls, local: Open, remote: Open) -> Negotiated:
        """What a session with these two OPENs uses (RFC 5492 §3: a capability counts when both sent it)."""
        local_mp = local.multiprotocol or {IPV4_UNICAST}
        remote_mp = remote.multiprotocol or {IPV4_UNICAST}
        return cls(
            four_octet_as=local.four_octet_as is not None and remote.four_octet_as is not None,
            afi_safis=frozenset(local_mp & remote_mp),
            route_refresh=local.route_refresh and remote.route_refresh,
            internal=local.asn == remote.asn,
            extended_message=local.extended_message and remote.extended_message,
        )


#: The state before the OPEN exchange (RFC 4271 plain: 2-octet AS, IPv4 unicast).
DEFAULT = Negotiated()
