"""Shared addresses from the decoder behave exactly like plain ``IPv4Address`` values."""

from __future__ import annotations

import copy
import json
import pickle
from ipaddress import IPv4Address, IPv4Network

from routesim.wire.ospf import shared_address


def test_equal_hash_and_text_as_a_plain_address():
    a, b = shared_address(0x0A000001), IPv4Address("10.0.0.1")
    assert a is shared_address(0x0A000001)  # one object per value
    assert a == b and b == a and hash(a) == hash(b)
    assert {b: 1}[a] == 1 and {a: 1}[b] == 1
    assert (str(a), repr(a), int(a), a.packed) == (
        "10.0.0.1",
        "IPv4Address('10.0.0.1')",
        0x0A000001,
        b.packed,
    )
    assert a < IPv4Address("10.0.0.2") and a in IPv4Network("10.0.0.0/8")
    assert json.dumps({"a": a}, default=str) == '{"a": "10.0.0.1"}'


def test_copies_and_pickles_are_plain_addresses():
    a = shared_address(0xC0000201)
    for c in (copy.deepcopy(a), pickle.loads(pickle.dumps(a))):
        assert c == a and type(c) is IPv4Address
