"""Actions the OSPF engine adds to the contract of ``proto/base.py``: multicast group membership.

RFC 2328 §8.1 / §9.4: every OSPF interface (but a passive one) listens to AllSPFRouters
(224.0.0.5) from the moment it comes up; the driver joins that group by itself. AllDRouters
(224.0.0.6) is joined only while the router is DR or Backup DR on the interface, so the engine tells
the driver when to join and leave it. The driver must honour them in order (a Leave cancels the
previous Join); both are idempotent for the driver (a second Join of a joined group is a no-op).
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address


@dataclass(frozen=True)
class JoinGroup:
    """Start receiving ``group`` on ``iface`` (IP_ADD_MEMBERSHIP)."""

    iface: str
    group: IPv4Address


@dataclass(frozen=True)
class LeaveGroup:
    """Stop receiving ``group`` on ``iface`` (IP_DROP_MEMBERSHIP)."""

    iface: str
    group: IPv4Address
