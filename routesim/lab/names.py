"""Names of everything a lab creates, derived from the lab name alone.

Every namespace of a lab is ``rs-<lab>-<node>``; the lab's switch namespace (bridges for LANs,
link-emulator ports) is ``rs-<lab>-sw``. Because the prefix is fixed, ``routesim down`` and crash
recovery find everything from the lab name, and nothing outside ``rs-<lab>-`` is ever touched.
Interface names inside a namespace need no prefix: they live and die with it.

The state directory is ``/run/routesim/<lab>`` for root, ``$XDG_RUNTIME_DIR/routesim/<lab>``
otherwise; ``$ROUTESIM_STATE_ROOT`` overrides the parent directory (the sandbox sets it).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

PREFIX = "rs-"
NETNS_RUN_DIR = Path("/run/netns")
SWITCH_NODE = "sw"

_LAB_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.]*$")


def state_root() -> Path:
    """The parent of every lab's state directory."""
    env = os.environ.get("ROUTESIM_STATE_ROOT")
    if env:
        return Path(env)
    if os.geteuid() == 0:
        return Path("/run/routesim")
    xdg = os.environ.get("XDG_RUNTIME_DIR") or f"/tmp/routesim-{os.getuid()}"
    return Path(xdg) / "routesim"


def list_all_netns() -> list[str]:
    """Names of every named network namespace (``ip netns list``), sorted."""
    try:
        return sorted(p.name for p in NETNS_RUN_DIR.iterdir())
    except FileNotFoundError:
        return []


@dataclass(frozen=True)
class LabNames:
    """All names of one lab. ``lab`` must not contain ``-`` so that prefixes never overlap
    (``rs-a-...`` would otherwise match lab ``a`` and lab ``a-b``)."""

    lab: str

    def __post_init__(self) -> None:
        if not _LAB_RE.match(self.lab) or "-" in self.lab:
            raise ValueError(f"invalid lab name {self.lab!r}: use letters, digits, '_' and '.' only")

    @property
    def prefix(self) -> str:
        return f"{PREFIX}{self.lab}"

    def netns(self, node: str) -> str:
        return f"{self.prefix}-{node}"

    @property
    def switch_netns(self) -> str:
        return self.netns(SWITCH_NODE)

    def node_of(self, netns: str) -> str | None:
        """The node name of one of this lab's namespaces, ``None`` if it is not ours."""
        p = self.prefix + "-"
        return netns[len(p) :] if netns.startswith(p) else None

    @property
    def state_dir(self) -> Path:
        return state_root() / self.lab

    def list_netns(self) -> list[str]:
        """Every existing namespace of this lab (switch namespace included)."""
        p = self.prefix + "-"
        return [n for n in list_all_netns() if n.startswith(p)]


def list_lab_netns() -> dict[str, list[str]]:
    """Existing ``rs-`` namespaces grouped by lab name (the part up to the next ``-``)."""
    labs: dict[str, list[str]] = {}
    for n in list_all_netns():
        if n.startswith(PREFIX) and "-" in n[len(PREFIX) :]:
            lab = n[len(PREFIX) :].split("-", 1)[0]
            labs.setdefault(lab, []).append(n)
    return labs


def lab_name_for(name: str) -> str:
    """A valid lab name from a topology name: ``multiline-bgp`` -> ``multiline_bgp``."""
    s = re.sub(r"[^A-Za-z0-9_.]", "_", name).lstrip("_.") or "lab"
    return s
