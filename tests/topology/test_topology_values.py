"""Scalar parsers: durations, loss, rates, addresses, prefixes, interface names."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routesim.topology.values import (
    check_ifname,
    parse_duration,
    parse_iface_address,
    parse_loss,
    parse_network,
    parse_rate,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("40ms", 0.04),
        ("2s", 2.0),
        ("1.5s", 1.5),
        ("1m", 60.0),
        ("1h", 3600.0),
        (3, 3.0),
        (0.25, 0.25),
        ("7", 7.0),
    ],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["fast", "-1s", "2 weeks", True, None, -3, "1d"])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("text", "loss"), [("1%", 0.01), ("0%", 0.0), ("100%", 1.0), (0.01, 0.01), (1, 1.0), ("2.5%", 0.025)]
)
def test_loss(text: object, loss: float) -> None:
    assert parse_loss(text) == pytest.approx(loss)


@pytest.mark.parametrize(
    ("bad", "why"), [("150%", "out of range"), (5, "write '5%'"), ("lots", "bad loss"), (-0.1, "0..1")]
)
def test_bad_loss(bad: object, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_loss(bad)


@pytest.mark.parametrize(
    ("text", "bits"),
    [("10mbit", 10**7), ("100kbit", 10**5), ("1gbit", 10**9), ("1.5Mbit", 1_500_000), (64000, 64000)],
)
def test_rates(text: object, bits: int) -> None:
    assert parse_rate(text) == bits


@pytest.mark.parametrize("bad", ["10mbps", "fast", 0, "0kbit", True, 1.5])
def test_bad_rates(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_rate(bad)


def test_networks_and_addresses() -> None:
    assert parse_network("10.1.0.0/16") == IPv4Network("10.1.0.0/16")
    with pytest.raises(ValueError, match=r"host bits set; did you mean 10\.1\.0\.0/16\?"):
        parse_network("10.1.2.3/16")
    with pytest.raises(ValueError, match="has no length"):
        parse_network("10.1.2.3")
    with pytest.raises(ValueError, match="bad prefix"):
        parse_network("10.1.2/33")
    assert parse_iface_address("10.0.0.1/30") == (IPv4Address("10.0.0.1"), 30)
    assert parse_iface_address("10.0.0.1") == (IPv4Address("10.0.0.1"), None)
    with pytest.raises(ValueError):
        parse_iface_address("10.0.0.300")


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("eth0", True),
        ("a" * 15, True),
        ("a" * 16, False),
        ("lo", False),
        ("a/b", False),
        ("a b", False),
        ("", False),
    ],
)
def test_ifnames(name: str, ok: bool) -> None:
    assert (check_ifname(name) is None) is ok


@given(st.integers(min_value=0, max_value=10**6))
def test_duration_ms_roundtrip(ms: int) -> None:
    assert parse_duration(f"{ms}ms") == pytest.approx(ms / 1000)


def test_timers_profile_of_the_wrong_type_is_an_error_not_a_crash() -> None:
    import pytest

    from routesim.topology import TopologyError, load_topology_text

    with pytest.raises(TopologyError, match=r"timers\.profile: unknown timers profile"):
        load_topology_text("name: t\ntimers: {profile: []}\nnodes: {r1: {}}\n", "t.yaml")


def test_ospf_auth_mode_of_the_wrong_type_is_an_error_not_a_crash() -> None:
    import pytest

    from routesim.topology import TopologyError, load_topology_text

    with pytest.raises(TopologyError, match=r"ospf\.auth\.mode: bad auth mode"):
        load_topology_text("name: t\nnodes: {r1: {ospf: {auth: {mode: [], key: k}}}}\n", "t.yaml")


def test_every_timer_is_documented_with_its_rfc_and_fast_values() -> None:
    """docs/topology.md's timers table lists each field of ``Timers`` with both profiles' values."""
    from pathlib import Path

    from routesim.topology.timers import FAST, FIELDS, RFC

    doc = (Path(__file__).resolve().parents[2] / "docs" / "topology.md").read_text()
    table = doc.split("| field | `rfc` | `fast` | notes |", 1)[1].split("\n\n", 1)[0]
    rows: dict[str, tuple[str, str]] = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        names = [n.strip().strip("`") for n in cells[0].split("/")]
        if len(names) == 2 and names[1].startswith("_"):  # `bgp_..._ebgp` / `_ibgp`
            names[1] = names[0].rsplit("_", 1)[0] + names[1]
        for name, rfc, fast in zip(names, cells[1].split("/"), cells[2].split("/"), strict=True):
            rows[name] = (rfc.strip(), fast.strip())
    for field in FIELDS:
        assert field in rows, f"{field} missing from the timers table of docs/topology.md"
        assert float(rows[field][0]) == getattr(RFC, field), field
        assert float(rows[field][1]) == getattr(FAST, field), field
