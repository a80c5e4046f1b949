"""YAML with positions: plain Python values plus a side table of where each one was written.

The loader composes the file with PyYAML's compose API (``yaml.compose`` with the (C)SafeLoader),
so every node keeps its start mark, then converts the node tree into plain values (dict, list,
str, int, float, bool, None) while recording two tables keyed by the *path* of the value, a tuple
of mapping keys (str) and list indices (int):

* ``pos_of[path]``: where the value starts (1-based line and column);
* ``key_pos_of[path]``: where the mapping key that leads to the value starts.

Mapping keys are always strings, taken as written (``on:``, ``1:`` and ``yes:`` stay ``"on"``,
``"1"``, ``"yes"``): node and interface names must never turn into booleans. A key repeated in one
mapping is an error (a YAML dict would silently keep the last one); merge keys (``<<``) and custom
tags are rejected.

Protocol parsers receive their section as a :class:`ProtoSection`: the plain ``value`` plus
positions relative to the section, so that a later OSPF or BGP parser can report
``FILE:LINE:COL: nodes.r1.bgp.neighbors.r2.relationship: ...`` without touching YAML nodes::

    sec = node.protocol("bgp")                 # ProtoSection
    for name, nb in sec.sub("neighbors").items():  # child ProtoSections
        if nb.value.get("relationship") not in ("customer", "peer", "provider"):
            problems.append(nb.problem(("relationship",), "must be customer, peer or provider"))
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from routesim.topology.errors import Path, Problem, ProblemSink, format_path
from routesim.topology.model import SourcePos

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_constructor = yaml.constructor.SafeConstructor()
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"


def _pos(filename: str, mark: Any) -> SourcePos:
    return SourcePos(filename, mark.line + 1, mark.column + 1)


@dataclass(frozen=True)
class Document:
    """A whole YAML file as plain values with positions (see the module docstring)."""

    filename: str
    value: Any
    pos_of: dict[Path, SourcePos] = field(compare=False, repr=False)
    key_pos_of: dict[Path, SourcePos] = field(compare=False, repr=False)

    def pos(self, path: Path) -> SourcePos:
        """Position of the value at ``path`` or of its nearest written ancestor."""
        while path not in self.pos_of and path:
            path = path[:-1]
        return self.pos_of.get(path, SourcePos(self.filename, 1, 1))

    def key_pos(self, path: Path) -> SourcePos:
        """Position of the key that leads to ``path`` (the value's position for list items)."""
        return self.key_pos_of.get(path) or self.pos(path)

    def section(self, path: Path) -> ProtoSection:
        """The value at ``path`` (which must exist) as a :class:`ProtoSection`."""
        value: Any = self.value
        for part in path:
            value = value[part]
        pos_of: dict[Path, SourcePos] = {}
        key_pos_of: dict[Path, SourcePos] = {}
        for rel in _walk(value, ()):
            full = path + rel
            if full in self.pos_of:
                pos_of[rel] = self.pos_of[full]
            if full in self.key_pos_of:
                key_pos_of[rel] = self.key_pos_of[full]
        return ProtoSection(value, path, self.filename, pos_of, key_pos_of)


def _walk(value: Any, rel: Path) -> Iterator[Path]:
    yield rel
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, (*rel, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, (*rel, i))


@dataclass(frozen=True)
class ProtoSection:
    """A protocol section (``rip``, ``ospf``, ``bgp``) kept as written, with positions.

    ``value`` is the plain value; ``path`` the absolute field path of the section (for
    messages); ``pos_of``/``key_pos_of`` map paths *relative to the section* to positions.
    """

    value: Any
    path: Path
    filename: str
    pos_of: Mapping[Path, SourcePos] = field(compare=False, repr=False)
    key_pos_of: Mapping[Path, SourcePos] = field(compare=False, repr=False)

    def pos(self, rel: Path = ()) -> SourcePos:
        """Position of the value at ``rel`` (or of its nearest written ancestor)."""
        while rel not in self.pos_of and rel:
            rel = rel[:-1]
        return self.pos_of.get(rel, SourcePos(self.filename, 1, 1))

    def key_pos(self, rel: Path) -> SourcePos:
        return self.key_pos_of.get(rel) or self.pos(rel)

    def where(self, rel: Path = ()) -> str:
        """The formatted absolute field path, e.g. ``nodes.r1.rip.passive[0]``."""
        return format_path(self.path + rel)

    def problem(self, rel: Path, message: str, *, at_key: bool = False) -> Problem:
        """A :class:`Problem` at ``rel`` (at its key rather than its value with ``at_key``)."""
        pos = self.key_pos(rel) if at_key else self.pos(rel)
        return Problem(pos, self.where(rel), message)

    def sub(self, *rel: str | int) -> ProtoSection:
        """The child at ``rel`` as a section of its own."""
        value = self.value
        for part in rel:
            value = value[part]
        n = len(rel)
        return ProtoSection(
            value,
            self.path + rel,
            self.filename,
            {k[n:]: v for k, v in self.pos_of.items() if k[:n] == rel},
            {k[n:]: v for k, v in self.key_pos_of.items() if k[:n] == rel},
        )

    def items(self) -> Iterator[tuple[str, ProtoSection]]:
        """(key, child section) pairs of a mapping value."""
        if isinstance(self.value, dict):
            for k in self.value:
                yield k, self.sub(k)

    def elements(self) -> Iterator[ProtoSection]:
        """Child sections of a list value."""
        if isinstance(self.value, list):
            for i in range(len(self.value)):
                yield self.sub(i)


#: The short name the protocol parsers use.
Located = ProtoSection


def compose_document(text: str, filename: str, sink: ProblemSink) -> Document | None:
    """Parse ``text``; syntax errors and duplicate keys go to ``sink``. None if unparseable."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        pos = _pos(filename, mark) if mark is not None else SourcePos(filename, 1, 1)
        what = e.problem or "invalid YAML"
        if e.context:
            cm = e.context_mark
            where = f" at line {cm.line + 1}, column {cm.column + 1}" if cm is not None else ""
            what += f" ({e.context}{where})"
        sink.add(pos, "(top)", f"YAML syntax error: {what}")
        return None
    except yaml.YAMLError as e:
        sink.add(SourcePos(filename, 1, 1), "(top)", f"YAML error: {e}")
        return None
    pos_of: dict[Path, SourcePos] = {}
    key_pos_of: dict[Path, SourcePos] = {}
    if root is None:
        return Document(filename, None, pos_of, key_pos_of)
    active: set[int] = set()

    def convert(node: yaml.Node, path: Path) -> Any:
        pos_of[path] = _pos(filename, node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            ctor = _constructor.yaml_constructors.get(node.tag)
            if ctor is None or node.tag == _MERGE_TAG:
                sink.add(pos_of[path], path, f"unsupported YAML tag {node.tag!r}")
                return node.value
            return ctor(_constructor, node)
        if id(node) in active:
            sink.add(pos_of[path], path, "recursive YAML alias")
            return None
        active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                if node.tag != _SEQ_TAG:
                    sink.add(pos_of[path], path, f"unsupported YAML tag {node.tag!r}")
                return [convert(child, (*path, i)) for i, child in enumerate(node.value)]
            if node.tag != _MAP_TAG:
                sink.add(pos_of[path], path, f"unsupported YAML tag {node.tag!r}")
            out: dict[str, Any] = {}
            for knode, vnode in node.value:
                kpos = _pos(filename, knode.start_mark)
                if not isinstance(knode, yaml.ScalarNode):
                    sink.add(kpos, path, "mapping keys must be plain strings")
                    continue
                if knode.tag == _MERGE_TAG:
                    sink.add(kpos, path, "YAML merge keys (<<) are not supported")
                    continue
                key = knode.value
                child = (*path, key)
                if key in out:
                    first = key_pos_of[child]
                    sink.add(
                        kpos,
                        child,
                        f"duplicate key '{key}' (first defined at line {first.line}, column {first.column}); "
                        "YAML would silently keep only the last one",
                    )
                    continue
                key_pos_of[child] = kpos
                out[key] = convert(vnode, child)
            return out
        finally:
            active.discard(id(node))

    value = convert(root, ())
    return Document(filename, value, pos_of, key_pos_of)


def open_section(sec: ProtoSection, name: str, keys: tuple[str, ...], out: list) -> dict | None:
    """The mapping of a protocol section (``true`` and an empty value mean ``{}``), with a problem
    for every unknown key; ``None`` (and a problem) when the section is not a mapping."""
    from routesim.topology.errors import unknown

    v = sec.value
    if v is True or v is None:
        return {}
    if not isinstance(v, dict):
        out.append(sec.problem((), f"{name} must be true or a mapping, got {v!r}"))
        return None
    for k in v:
        if k not in keys:
            out.append(sec.problem((k,), unknown(f"{name} key", k, keys), at_key=True))
    return v


def interface_checker(sec: ProtoSection, interfaces, out: list):
    """``check(rel, name)``: the interface name if the router has it, else ``None`` and a problem
    with a "did you mean"."""
    from routesim.topology.errors import unknown

    names = [i.name for i in interfaces]

    def check(rel: tuple, name) -> str | None:
        if not isinstance(name, str) or name not in names:
            out.append(sec.problem(rel, unknown("interface", name, names)))
            return None
        return name

    return check


def select_interfaces(sec: ProtoSection, v: dict, names: list[str], check_name, out: list):
    """A protocol's ``interfaces:``: ``all`` (default), a list of names, or a mapping of names to
    per-interface settings. Returns the selected names (in the order written, or the node's for
    ``all``) and the raw settings mapping of each interface that has one (shape checked here,
    keys by the protocol)."""
    selected: list[str] = []
    settings: dict[str, dict] = {}
    ifs = v.get("interfaces", "all")
    if ifs == "all":
        selected = list(names)
    elif isinstance(ifs, list):
        for j, name in enumerate(ifs):
            if (n := check_name(("interfaces", j), name)) is not None and n not in selected:
                selected.append(n)
    elif isinstance(ifs, dict):
        for name, ov in ifs.items():
            rel = ("interfaces", name)
            if check_name(rel, name) is None:
                continue
            selected.append(name)
            if ov is None:
                continue
            if not isinstance(ov, dict):
                out.append(sec.problem(rel, "per-interface settings must be a mapping"))
                continue
            settings[name] = ov
    else:
        out.append(sec.problem(("interfaces",), "interfaces must be 'all', a list of names or a mapping"))
    return selected, settings
