"""Scalar parsers of the topology format: durations, loss, rates, addresses, prefixes, names.

Each parser takes the plain YAML value and returns the typed value or raises :class:`ValueError`
whose text is the user-facing message (the loader adds position and field path).
"""

from __future__ import annotations

import re
from ipaddress import AddressValueError, IPv4Address, IPv4Interface, IPv4Network, NetmaskValueError
from typing import Any

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h)?\s*$")
_DURATION_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}
_RATE = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*(bit|kbit|mbit|gbit)?\s*$", re.IGNORECASE)
_RATE_UNIT = {"bit": 1, "kbit": 1_000, "mbit": 1_000_000, "gbit": 1_000_000_000, None: 1}
IFNAME_MAX = 15  # IFNAMSIZ - 1 (Linux include/uapi/linux/if.h)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def parse_duration(v: Any) -> float:
    """``40ms``, ``2s``, ``1.5s``, ``1m``, ``1h``, or a bare number of seconds; never negative."""
    if _is_number(v):
        if v < 0:
            raise ValueError(f"duration must not be negative, got {v}")
        return float(v)
    if isinstance(v, str):
        m = _DURATION.match(v)
        if m:
            return float(m.group(1)) * _DURATION_UNIT[m.group(2)]
    raise ValueError(f"bad duration {v!r}; expected e.g. 40ms, 2s, 1.5s, 1m or a number of seconds")


def parse_loss(v: Any) -> float:
    """``1%`` or a fraction ``0.01`` in 0..1."""
    if isinstance(v, str) and v.strip().endswith("%"):
        try:
            pct = float(v.strip()[:-1])
        except ValueError:
            raise ValueError(f"bad loss {v!r}; expected e.g. 1% or 0.01") from None
        if not 0 <= pct <= 100:
            raise ValueError(f"loss {v} is out of range; expected 0% to 100%")
        return pct / 100
    if _is_number(v):
        if not 0 <= v <= 1:
            raise ValueError(f"loss {v} is not a fraction in 0..1; write '{v}%' for a percentage")
        return float(v)
    raise ValueError(f"bad loss {v!r}; expected e.g. 1% or 0.01")


def parse_rate(v: Any) -> int:
    """``10mbit``, ``100kbit``, ``1gbit`` (tc's units: bits per second) or an integer of bit/s."""
    if isinstance(v, int) and not isinstance(v, bool):
        bits = v
    elif isinstance(v, str) and (m := _RATE.match(v)):
        bits = int(float(m.group(1)) * _RATE_UNIT[m.group(2).lower() if m.group(2) else None])
    else:
        raise ValueError(f"bad rate {v!r}; expected e.g. 100kbit, 10mbit, 1gbit or bits per second")
    if bits <= 0:
        raise ValueError(f"rate must be positive, got {v!r}")
    return bits


def parse_int(v: Any, lo: int, hi: int, what: str) -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise ValueError(f"{what} must be an integer in {lo}..{hi}, got {v!r}")
    if not lo <= v <= hi:
        raise ValueError(f"{what} {v} is out of range {lo}..{hi}")
    return v


def parse_address(v: Any) -> IPv4Address:
    """A bare IPv4 address."""
    if isinstance(v, str) and "/" not in v:
        try:
            return IPv4Address(v.strip())
        except AddressValueError:
            pass
    raise ValueError(f"bad IPv4 address {v!r}")


def parse_iface_address(v: Any) -> tuple[IPv4Address, int | None]:
    """``10.0.0.1`` or ``10.0.0.1/30``: the address and the prefix length if given."""
    if isinstance(v, str):
        try:
            if "/" in v:
                iface = IPv4Interface(v.strip())
                return iface.ip, iface.network.prefixlen
            return IPv4Address(v.strip()), None
        except (AddressValueError, NetmaskValueError, ValueError):
            pass
    raise ValueError(f"bad IPv4 address {v!r}; expected e.g. 10.0.0.1 or 10.0.0.1/30")


def parse_network(v: Any) -> IPv4Network:
    """A prefix ``10.1.0.0/16``; host bits set is an error that names the right network."""
    if not isinstance(v, str):
        raise ValueError(f"bad prefix {v!r}; expected e.g. 10.1.0.0/16")
    text = v.strip()
    if "/" not in text:
        try:
            IPv4Address(text)
        except AddressValueError:
            raise ValueError(f"bad prefix {v!r}; expected e.g. 10.1.0.0/16") from None
        raise ValueError(f"prefix {v!r} has no length; write e.g. {text}/32")
    try:
        return IPv4Network(text)
    except ValueError:
        pass
    try:
        loose = IPv4Network(text, strict=False)
    except ValueError:
        raise ValueError(f"bad prefix {v!r}; expected e.g. 10.1.0.0/16") from None
    raise ValueError(f"prefix {text} has host bits set; did you mean {loose}?")


def check_ifname(name: str) -> str | None:
    """Why ``name`` is not a valid Linux interface name, or None."""
    if not name:
        return "interface name is empty"
    if len(name) > IFNAME_MAX:
        return f"interface name '{name}' is {len(name)} characters; Linux allows at most {IFNAME_MAX}"
    if "/" in name or ":" in name or any(c.isspace() for c in name):
        return f"interface name '{name}' must not contain '/', ':' or whitespace"
    if name in (".", "..", "lo"):
        return f"interface name '{name}' is reserved"
    return None
