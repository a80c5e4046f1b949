"""Connection collision detection (RFC 4271 §6.8).

Two connections to one peer exist when both sides opened one at once. When an OPEN arrives on one
of them and the other is in OpenConfirm (or OpenSent with the peer's identifier known from its
OPEN), the speaker compares BGP Identifiers as unsigned 32-bit integers: if the local one is lower,
it closes the connection *it* initiated and keeps the peer's; otherwise it closes the connection the
peer initiated. A connection in Established always wins over a newcomer (§6.8: "a connection
collision with an existing BGP connection that is in the Established state causes closing of the
newly created connection"). The loser gets NOTIFICATION Cease / Connection Collision Resolution
(RFC 4486 §3, subcode 7).
"""

from __future__ import annotations

from ipaddress import IPv4Address


def close_locally_initiated(
    local_id: IPv4Address, remote_id: IPv4Address, local_as: int, remote_as: int
) -> bool:
    """True: close the connection we initiated (keep the peer's); False: close the peer's.

    RFC 4271 §6.8 step 3: the side with the higher BGP Identifier keeps the connection it
    initiated. Equal identifiers (possible on eBGP, RFC 6286 §2.2): the connection initiated by the
    speaker with the larger AS number is kept (RFC 6286 §2.3)."""
    if local_id == remote_id:
        return local_as < remote_as
    return int(local_id) < int(remote_id)
