"""Timer profiles: ``rfc`` (the protocol defaults, :class:`~routesim.topology.model.Timers`) and
``fast`` (for tests and demos), plus per-field overrides.

``timers: rfc`` | ``timers: fast`` | ``timers: {profile: fast, ospf_hello: 2s, ...}``. With
overrides the profile is reported as ``<base>+custom`` (``fast+custom``) so that a report never
passes a tuned lab off as an RFC one.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from routesim.topology.model import Timers

RFC = Timers()
#: ospf_min_ls_interval is 1 s here, but BIRD hard-codes MinLSInterval to 5 s (RFC 2328 App. B),
#: so a BIRD node keeps 5 s whatever the profile says. ospf_min_ls_arrival keeps the RFC's ratio to
#: MinLSInterval (1 s to 5 s): at half of it, instances originated 1 s apart that reached a router
#: less than 0.5 s apart were dropped and waited a whole RxmtInterval.
FAST = Timers(
    profile="fast",
    rip_update=5.0,
    rip_timeout=30.0,
    rip_garbage=20.0,
    rip_triggered_min=0.2,
    rip_triggered_max=1.0,
    ospf_hello=1.0,
    ospf_dead=4.0,
    ospf_retransmit=2.0,
    ospf_transmit_delay=1.0,
    ospf_spf_delay=0.05,
    ospf_spf_short_delay=0.2,
    ospf_spf_long_delay=1.0,
    ospf_spf_time_to_learn=1.0,
    ospf_spf_holddown=3.0,
    ospf_adjacency_hold=2.0,  # one RxmtInterval: time for a lost DD or LS Request to go again
    ospf_min_ls_interval=1.0,
    ospf_min_ls_arrival=0.2,
    bgp_keepalive=1.0,
    bgp_hold=3.0,
    bgp_connect_retry=2.0,
    bgp_min_route_advertisement_ebgp=0.0,
    bgp_min_route_advertisement_ibgp=0.0,
)
PROFILES: dict[str, Timers] = {"rfc": RFC, "fast": FAST}
FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Timers) if f.name != "profile")
#: Fields carried in whole seconds on the wire: OSPF HelloInterval (16 bits) and
#: RouterDeadInterval (32 bits), RFC 2328 A.3.2; BGP Hold Time (16 bits), RFC 4271 §4.2.
WHOLE_SECONDS = {"ospf_hello": 65535, "ospf_dead": 2**32 - 1, "bgp_hold": 65535}


def with_overrides(base: Timers, overrides: dict[str, float]) -> Timers:
    if not overrides:
        return base
    return dataclasses.replace(base, profile=f"{base.profile}+custom", **overrides)


def check(t: Timers) -> list[tuple[str, str]]:
    """(field, message) for every inconsistency of a timer set."""
    out: list[tuple[str, str]] = []
    for name, hi in WHOLE_SECONDS.items():
        v = getattr(t, name)
        if v != int(v) or v > hi:
            out.append((name, f"{name} must be a whole number of seconds <= {hi}, got {v:g}"))
    if t.rip_update <= 0:
        out.append(("rip_update", "rip_update must be positive"))
    if t.rip_timeout <= t.rip_update:
        out.append(
            ("rip_timeout", f"rip_timeout ({t.rip_timeout:g}s) must exceed rip_update ({t.rip_update:g}s)")
        )
    if t.rip_triggered_min > t.rip_triggered_max:
        out.append(("rip_triggered_min", "rip_triggered_min must not exceed rip_triggered_max"))
    if t.ospf_hello < 1:
        out.append(("ospf_hello", "ospf_hello must be at least 1s"))
    if t.ospf_dead <= t.ospf_hello:
        # RFC 2328 §9: RouterDeadInterval must exceed HelloInterval (it is a multiple of it in practice).
        out.append(("ospf_dead", f"ospf_dead ({t.ospf_dead:g}s) must exceed ospf_hello ({t.ospf_hello:g}s)"))
    if t.ospf_spf_time_to_learn <= 0:
        out.append(("ospf_spf_time_to_learn", "ospf_spf_time_to_learn must be positive"))
    if t.ospf_spf_holddown <= 0:
        out.append(("ospf_spf_holddown", "ospf_spf_holddown must be positive"))
    if t.ospf_retransmit <= 0:
        out.append(("ospf_retransmit", "ospf_retransmit must be positive"))
    if t.bgp_hold != 0 and t.bgp_hold < 3:
        # RFC 4271 §4.2: the Hold Time MUST be either zero or at least three seconds.
        out.append(("bgp_hold", f"bgp_hold must be 0 or at least 3s (RFC 4271 §4.2), got {t.bgp_hold:g}s"))
    if t.bgp_hold and t.bgp_keepalive >= t.bgp_hold:
        out.append(("bgp_keepalive", "bgp_keepalive must be shorter than bgp_hold (RFC 4271 §4.4: a third)"))
    if t.bgp_keepalive <= 0 and t.bgp_hold:
        out.append(("bgp_keepalive", "bgp_keepalive must be positive"))
    if t.bgp_connect_retry <= 0:
        out.append(("bgp_connect_retry", "bgp_connect_retry must be positive"))
    return out


def describe(t: Timers) -> dict[str, Any]:
    return t.as_dict()
