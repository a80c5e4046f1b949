"""``router/engines.py``: the BGP factory takes the MinRouteAdvertisementIntervalTimer per session type."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from routesim.proto.bgp.engine import BgpEngine
from routesim.router.config import RouterConfig
from routesim.router.engines import build_engines


def bgp_engine(timers: dict[str, float]) -> BgpEngine:
    cfg = RouterConfig(
        node="r1",
        router_id=IPv4Address("1.1.1.1"),
        loopback=None,
        interfaces=(),
        protocols={
            "bgp": {
                "asn": 65001,
                "neighbors": [
                    {"address": "10.0.0.2", "remote_as": 65002},
                    {"address": "10.0.1.2", "remote_as": 65001},
                ],
            }
        },
        timers=timers,
    )
    [(engine, transport)] = build_engines(cfg)
    assert transport == "tcp-bgp" and isinstance(engine, BgpEngine)
    return engine


@pytest.mark.parametrize(
    ("timers", "ebgp", "ibgp"),
    [
        ({"bgp_min_route_advertisement_ebgp": 30.0, "bgp_min_route_advertisement_ibgp": 5.0}, 30.0, 5.0),
        ({"bgp_min_route_advertisement_ebgp": 0.0, "bgp_min_route_advertisement_ibgp": 0.0}, 0.0, 0.0),
        ({}, 0.0, 0.0),
    ],
    ids=["rfc", "fast", "absent"],
)
def test_mrai_comes_from_the_timers_by_session_type(timers, ebgp, ibgp):
    engine = bgp_engine(timers)
    by_address = {str(n.address): n for n in engine.config.neighbors}
    assert by_address["10.0.0.2"].ebgp and by_address["10.0.0.2"].min_route_advertisement == ebgp
    assert not by_address["10.0.1.2"].ebgp and by_address["10.0.1.2"].min_route_advertisement == ibgp
