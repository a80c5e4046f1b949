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


#: int -> IPv4Address: decoding builds the same few Router IDs and addresses over and over, and
#: ``IPv4Address(int)`` costs about a microsecond; the objects are immutable, so sharing is safe.
_ADDRESSES: dict[int, IPv4Address] = {}
_ADDRESS_CACHE_SIZE = 1 << 16


class SharedAddress(IPv4Address):
    """An ``IPv4Address`` that keeps its hash and text: equal to, and hashing like, the plain one.

    Router IDs and addresses from decoded packets are dictionary keys everywhere in the engine
    (neighbors, LSDB keys, retransmission lists) and ``ipaddress`` hashes through ``hex()`` on every
    lookup; a shared address computes it once.
    """

    __slots__ = ("_hash", "_text")

    def __init__(self, value: int) -> None:
        super().__init__(value)
        self._hash = IPv4Address.__hash__(self)
        self._text = IPv4Address.__str__(self)

    def __hash__(self) -> int:
        return self._hash

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"IPv4Address('{self._text}')"

    def __reduce__(self):  # pickle/copy as a plain address
        return (IPv4Address, (self._ip,))


def address(value: int) -> IPv4Address:
    """``IPv4Address(value)`` for a 32-bit int, from a bounded cache of :class:`SharedAddress`."""
    addr = _ADDRESSES.get(value)
    if addr is None:
        if len(_ADDRESSES) >= _ADDRESS_CACHE_SIZE:
            _ADDRESSES.clear()
        addr = _ADDRESSES[value] = SharedAddress(value)
    return addr


def fast_new(cls: type[R], **fields: object) -> R:
    """Build a (frozen) dataclass instance from already-valid decoded fields without ``__init__``.

    Frozen dataclasses assign through ``object.__setattr__`` once per field; filling ``__dict__``
    at once is several times cheaper on the decode hot path. Only for classes without
    ``__post_init__`` checks (or when the caller sets what ``__post_init__`` would, like ``raw``).
    """
    obj = object.__new__(cls)  # type: ignore[call-overload]
    obj.__dict__.update(fields)
    return obj


class CodeCache(dict[int, object]):
    """``enum_or_int(enum_cls, value)`` memoised per enum class (IntEnum/IntFlag calls are slow)."""

    def __init__(self, enum_cls: type[enum.IntEnum] | type[enum.IntFlag]) -> None:
        super().__init__()
        self.enum_cls = enum_cls

    def __missing__(self, value: int) -> object:
        try:
            out: object = self.enum_cls(value)
        except ValueError:
            out = value
        self[value] = out
        return out


def check_uint(name: str, value: int, bits: int) -> int:
    """Our own encode-time range check: a bad value is a local bug, so ``ValueError``."""
    if not 0 <= int(value) < (1 << bits):
        raise ValueError(f"{name}={value!r} does not fit in {bits} bits")
    return int(value)
