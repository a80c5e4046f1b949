"""Robustness: any YAML document either loads or raises TopologyError, never anything else."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routesim.topology import TopologyError, load_topology_text
from routesim.topology.loader import LAN_KEYS, LINK_KEYS, NODE_KEYS, STATIC_KEYS, TOP_KEYS

WORDS = sorted({*TOP_KEYS, *NODE_KEYS, *LINK_KEYS, *LAN_KEYS, *STATIC_KEYS, "r1", "r2", "h1", "lan1", "l1",
                "host", "bird", "all", "reach", "from", "to", "via", "link_down", "crash", "interfaces",
                "passive", "split_horizon", "profile", "fast", "p2p", "10.0.0.1", "10.0.0.0/30", "1%", "2s"})  # fmt: skip
SCALARS = st.one_of(
    st.sampled_from(WORDS),
    st.integers(-5, 70000),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, width=32),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(WORDS), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(WORDS), VALUES, max_size=6))
def test_random_documents_load_or_raise_topology_error(doc: dict) -> None:
    try:
        load_topology_text(yaml.safe_dump(doc), "fuzz.yaml")
    except TopologyError as e:
        assert e.problems and all(p.pos.line >= 1 for p in e.problems)


GOOD = {
    "nodes": {
        "r1": {"rip": True, "static": ["0.0.0.0/0 via r2"]},
        "r2": {},
        "h1": {"kind": "host", "gateway": "r1"},
    },
    "links": [["r1", "r2"]],
    "lans": [{"name": "lan1", "members": ["r1", "r2"]}],
    "events": [{"wait": "1s", "link_down": ["r1", "r2"]}],
    "expect": [{"reach": {"from": "h1", "to": "r2"}}],
}


@st.composite
def mutated(draw: st.DrawFn) -> dict:
    """GOOD with one value somewhere replaced by a random one."""
    doc = yaml.safe_load(yaml.safe_dump(GOOD))
    node = doc
    while True:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            return doc
        k = draw(st.sampled_from(keys))
        if isinstance(node[k], dict | list) and node[k] and draw(st.booleans()):
            node = node[k]
            continue
        node[k] = draw(VALUES)
        return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_good_documents_load_or_raise_topology_error(doc: dict) -> None:
    try:
        load_topology_text(yaml.safe_dump(doc), "fuzz.yaml")
    except TopologyError as e:
        assert e.problems
