"""BGP-specific engine input: bytes of one TCP connection.

``proto/base.py`` has ``TcpUp``/``TcpDown`` (with a ``conn`` handle) but ``PacketIn`` names no
connection, and BGP may run two connections to one peer at once (RFC 4271 §6.8 collisions). The
driver therefore delivers a connection's stream as :class:`TcpData`, with the same ``conn`` value it
gave in ``TcpUp``. ``conn`` is opaque to the engine (any hashable value).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TcpData:
    """A chunk of the byte stream received on connection ``conn`` (any split, in order)."""

    conn: Any
    data: bytes
