"""Loader errors: every problem carries a position (file:line:column) and a field path.

A :class:`TopologyError` holds all the problems found in one pass, sorted by position, and prints
them one per line as ``FILE:LINE:COL: PATH: MESSAGE``, e.g.::

    multi.yaml:14:7: links[3].endpoints[1]: unknown node 'r9'; expected one of r1, r2, r3 (did you mean 'r3'?)

Field paths use dots for mapping keys and ``[i]`` (0-based) for list items: ``nodes.r1.static[2].via``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass

from routesim.topology.model import SourcePos

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """``("links", 3, "endpoints", 1)`` -> ``links[3].endpoints[1]``; ``()`` -> ``(top)``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top)"


@dataclass(frozen=True)
class Problem:
    pos: SourcePos
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.pos}: {self.path}: {self.message}"


class TopologyError(Exception):
    """The topology is invalid; ``problems`` lists every reason found, sorted by position."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = sorted(
            problems, key=lambda p: (p.pos.file, p.pos.line, p.pos.column, p.path, p.message)
        )
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


class ProblemSink:
    """Collects problems during one load; :meth:`raise_if_any` ends the load."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self._seen: set[Problem] = set()

    def add(self, pos: SourcePos, path: Path | str, message: str) -> None:
        p = Problem(pos, path if isinstance(path, str) else format_path(path), message)
        if p not in self._seen:
            self._seen.add(p)
            self.problems.append(p)

    def __bool__(self) -> bool:
        return bool(self.problems)

    def __len__(self) -> int:
        return len(self.problems)

    def raise_if_any(self) -> None:
        if self.problems:
            raise TopologyError(self.problems)


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest candidate, or ``""``."""
    match = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.5)
    return f" (did you mean '{match[0]}'?)" if match else ""


def unknown(what: str, word: object, candidates: Iterable[str], *, limit: int = 12) -> str:
    """``unknown node 'r9'; expected one of r1, r2, r3 (did you mean 'r3'?)``."""
    cands = list(candidates)
    if not cands:
        return f"unknown {what} '{word}'; there is none to refer to"
    shown = ", ".join(cands[:limit]) + (", ..." if len(cands) > limit else "")
    return f"unknown {what} '{word}'; expected one of {shown}{did_you_mean(str(word), cands)}"
