"""RIP authentication policy: simple password (RFC 2453 §4.1) and keyed MD5 (RFC 4822).

Outgoing packets are wrapped by :func:`seal`; incoming ones are judged by :func:`check`, which
returns ``None`` to accept or a short reason (counted under ``auth_failures``) to drop.

Sequence numbers (RFC 4822 §3.2.1, "non-decreasing"): we send ``max(previous + 1, int(now))``, so
they keep growing across a restart when ``now`` is a boot-based monotonic clock. A receiver rejects
a sequence number below the last one accepted from that neighbour (§3.2.2), forgets it when the
neighbour has been silent for the route timeout, and accepts 0 on a Request (BIRD sends its Requests
with sequence 0; a replayed Request can only cause a Response).
"""

from __future__ import annotations

from routesim.proto.rip.config import RipAuth
from routesim.wire.rip import Command, Md5Auth, RipPacket, SimplePasswordAuth, verify_md5


def seal(packet: RipPacket, auth: RipAuth | None, sequence: int) -> bytes:
    """Encode ``packet`` with the interface's authentication (none, password or signed MD5)."""
    if auth is None:
        return packet.encode()
    if auth.mode == "simple":
        return RipPacket(
            packet.command, packet.version, packet.entries, SimplePasswordAuth.from_key(auth.key)
        ).encode()
    md5 = RipPacket(packet.command, packet.version, packet.entries, Md5Auth(auth.key_id, sequence))
    return md5.sign(auth.key).encode()


def check(packet: RipPacket, data: bytes, auth: RipAuth | None, last_sequence: int | None) -> str | None:
    """Why ``packet`` (received as ``data``) must be dropped, or None to accept it."""
    if auth is None:
        # RFC 2453 §4.1: a router not configured to authenticate discards authenticated messages.
        return "unexpected" if packet.auth is not None else None
    if packet.auth is None:
        return "missing"
    if auth.mode == "simple":
        if not isinstance(packet.auth, SimplePasswordAuth):
            return "mode"
        return None if packet.auth.matches(auth.key) else "password"
    if not isinstance(packet.auth, Md5Auth):
        return "mode"
    if packet.auth.key_id != auth.key_id:
        return "key_id"
    if not verify_md5(data, auth.key):
        return "digest"
    seq = packet.auth.sequence
    if (
        last_sequence is not None
        and seq < last_sequence
        and not (seq == 0 and packet.command == Command.REQUEST)
    ):
        return "sequence"  # RFC 4822 §3.2.2: a replay
    return None
