"""A router's timestamped event log: JSON lines on disk and a bounded copy in memory.

Every entry has ``t`` (wall-clock seconds, comparable across the lab's processes on one machine),
``mono`` (the router's monotonic clock, what its engines see), ``node`` and ``kind``:

* ``rib``: a selected route changed (``prefix``, ``old``, ``new`` as inspection rows or null);
* ``fib``: a kernel route was installed/replaced/removed;
* ``iface``: an interface went up or down;
* ``session``: an adjacency or session changed state (``protocol``, ``peer``, ``old``, ``new``);
* ``log``: a protocol's own narrative line (``protocol``, ``message``, extra fields).

The lab merges every router's log into one timeline; convergence time is the last ``rib`` entry.
"""

from __future__ import annotations

import collections
import json
import time
from collections.abc import Callable
from typing import Any, BinaryIO

_RESERVED = frozenset({"seq", "t", "mono", "node", "kind"})

try:  # orjson writes a line ~10x faster than json (a 10x10 OSPF lab writes ~40,000 of them)
    import orjson

    _OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
except ImportError:  # pragma: no cover - orjson is a dependency; json is the fallback
    orjson = None  # type: ignore[assignment]


def encode_line(entry: dict[str, Any]) -> bytes:
    """One entry as a JSON line; what ``json`` cannot encode natively becomes ``str(value)``."""
    if orjson is not None:
        try:
            return orjson.dumps(entry, default=str, option=_OPTIONS | orjson.OPT_APPEND_NEWLINE)
        except TypeError:  # e.g. an integer beyond 64 bits: json takes those
            pass
    return (json.dumps(entry, default=str) + "\n").encode()


class EventLog:
    """``on_dirty``: called when an entry is written after a flush. The router runtime uses it to
    :meth:`flush` once per turn of its event loop, so a burst of entries (a routing table
    changing at once) costs one write, not one per line; readers see them a moment later."""

    def __init__(
        self,
        node: str,
        path: str | None = None,
        keep: int = 20000,
        on_dirty: Callable[[], None] | None = None,
    ) -> None:
        self.node = node
        self.on_dirty = on_dirty
        self._dirty = False
        self._file: BinaryIO | None = open(path, "ab", buffering=1 << 16) if path else None  # noqa: SIM115
        self.entries: collections.deque[dict[str, Any]] = collections.deque(maxlen=keep)
        self.seq = 0
        self.last_rib_change: float | None = None
        self.rib_changes = 0

    def add(self, kind: str, mono: float, **fields: Any) -> dict[str, Any]:
        self.seq += 1
        entry = {"seq": self.seq, "t": time.time(), "mono": round(mono, 6), "node": self.node, "kind": kind}
        for k, v in fields.items():
            # a protocol's own field must not shadow the log's keys (an LSA's "seq", say)
            entry[f"{k}_" if k in _RESERVED else k] = v
        if kind == "rib":
            self.last_rib_change = entry["t"]
            self.rib_changes += 1
        self.entries.append(entry)
        if self._file is not None:
            self._file.write(encode_line(entry))
            if self.on_dirty is None:
                self._file.flush()
            elif not self._dirty:
                self._dirty = True
                self.on_dirty()
        return entry

    def flush(self) -> None:
        self._dirty = False
        if self._file is not None:
            self._file.flush()

    def since(self, seq: int = 0) -> list[dict[str, Any]]:
        return [e for e in self.entries if e["seq"] > seq]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()  # flushes what is buffered
            self._file = None
