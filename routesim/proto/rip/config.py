"""RIP engine configuration: frozen values built by the lab from the resolved topology.

Nothing here parses YAML; ``topology/`` decides every value and the lab constructs these.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface
from typing import Literal

from routesim.proto.base import RouteProtocol


class SplitHorizon(enum.Enum):
    """RFC 2453 §3.4.3: what to do with routes learned from the interface we send on."""

    OFF = "off"  # advertise them like any other route (lets count-to-infinity happen)
    SIMPLE = "simple"  # leave them out
    POISONED_REVERSE = "poisoned_reverse"  # advertise them with metric 16


@dataclass(frozen=True)
class RipAuth:
    """Per-interface authentication: RFC 2453 §4.1 simple password or RFC 4822 keyed MD5."""

    mode: Literal["simple", "md5"]
    key: str
    key_id: int = 1

    def __post_init__(self) -> None:
        if self.mode not in ("simple", "md5"):
            raise ValueError(f"unknown RIP auth mode {self.mode!r}")
        if len(self.key.encode()) > 16:
            raise ValueError("RIP keys are at most 16 octets")
        if not 0 <= self.key_id <= 255:
            raise ValueError("key_id is one octet")


@dataclass(frozen=True)
class RipInterface:
    """One interface RIP runs on. ``metric`` is the cost added to routes received on it (§3.9.2)."""

    name: str
    address: IPv4Interface
    metric: int = 1
    split_horizon: SplitHorizon = SplitHorizon.POISONED_REVERSE
    passive: bool = False
    auth: RipAuth | None = None
    #: When set, updates and requests go unicast to these neighbours instead of 224.0.0.9.
    neighbors: tuple[IPv4Address, ...] = ()

    def __post_init__(self) -> None:
        if not 1 <= self.metric <= 15:
            raise ValueError(f"{self.name}: RIP interface metric must be 1..15")


@dataclass(frozen=True)
class RipTimers:
    """RFC 2453 §3.8 timers, in seconds.

    ``update_jitter`` is a fraction of ``update``: each periodic update is scheduled at
    ``update * (1 + uniform(-jitter, +jitter))``. RFC 2453 §3.8 asks for "a small random time
    (+/- 0 to 5 seconds)" on the 30 s timer to avoid synchronisation; 1/6 of 30 s is exactly +/- 5 s
    and scales with the ``fast`` profile's shorter updates. Triggered updates are damped by
    ``uniform(triggered_min, triggered_max)`` (RFC 2453 §3.10.1: 1 to 5 seconds).
    """

    update: float = 30.0
    timeout: float = 180.0
    garbage: float = 120.0
    triggered_min: float = 1.0
    triggered_max: float = 5.0
    update_jitter: float = 1 / 6

    def __post_init__(self) -> None:
        if not 0 <= self.update_jitter < 1 or self.triggered_min > self.triggered_max:
            raise ValueError("invalid RIP timers")


@dataclass(frozen=True)
class RipConfig:
    """The whole RIP instance of one router."""

    router_id: str
    interfaces: tuple[RipInterface, ...]
    timers: RipTimers = field(default_factory=RipTimers)
    #: RIB protocols whose selected routes become locally originated RIP routes (metric 1).
    redistribute: frozenset[RouteProtocol] = frozenset()
    #: UDP port of RIP (RFC 2453 §3.9: 520). Loopback-mode labs run on another port; the engine then
    #: sends to it and requires it as the source port of Responses (§3.9.2) instead of 520.
    port: int = 520
    #: ``stop()`` sends one last update advertising every route with metric 16 (see engine.py).
    poison_on_stop: bool = True

    def interface(self, name: str) -> RipInterface | None:
        return next((i for i in self.interfaces if i.name == name), None)
