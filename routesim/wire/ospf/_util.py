"""Small helpers shared by the OSPF codec modules (not public API)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import wraps
from ipaddress import IPv4Address
from typing import ParamSpec, TypeVar

from routesim.wire.errors import TruncatedError
from routesim.wire.ospf.errors import OspfDecodeError, OspfDropReason

P = ParamSpec("P")
R = TypeVar("R")
E = TypeVar("E", bound=enum.IntEnum)


def translate_truncation(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the shared Reader's ``TruncatedError`` into ``OspfDecodeError(TRUNCATED)``."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except TruncatedError as exc:
            raise OspfDecodeError(OspfDropReason.TRUNCATED, exc.value, str(exc)) from None

    return wrapper


def enum_or_int(enum_cls: type[E], value: int) -> E | int:
    """``enum_cls(value)`` when the code is known, else the plain int (kept for re-encoding)."""
    try:
        return enum_cls(value)
    except ValueError:
        return value


def ipv4(value: IPv4Address | str | int) -> IPv4Address:
    """Accept the usual spellings of a 32-bit ID or address."""
    return value if isinstance(value, IPv4Address) else IPv4Address(value)


def check_uint(name: str, value: int, bits: int) -> int:
    """Our own encode-time range check: a bad value is a local bug, so ``ValueError``."""
    if not 0 <= int(value) < (1 << bits):
        raise ValueError(f"{name}={value!r} does not fit in {bits} bits")
    return int(value)
