"""Topology: YAML -> a validated, fully resolved, frozen model (see ``docs/topology.md``).

File map:

* ``model.py``   the resolved model (Topology, Node, Interface, Link, Lan, ..., RipSettings);
* ``loader.py``  ``load_topology(path)`` / ``load_topology_text(text)``: the phases of a load and
  every resolution rule (addresses, names, router IDs, implicit host links);
* ``yamlpos.py`` YAML composed with positions; ``ProtoSection``, the positioned protocol section
  the OSPF/BGP parsers receive in ``Node.protocols``;
* ``values.py``  scalar parsers: durations, loss, rates, addresses, prefixes, interface names;
* ``timers.py``  the ``rfc`` and ``fast`` timer profiles and their consistency checks;
* ``rip.py``     the typed ``rip:`` section (RIPv2, RFC 2453) -> ``RipSettings``;
* ``plan.py``    the addressing plan as rich tables / JSON (``routesim check``);
* ``errors.py``  ``TopologyError`` with its ``Problem(pos, path, message)`` list.

Nothing here needs the network or root: a topology is validated entirely on paper.
"""

from routesim.topology.errors import Problem, TopologyError
from routesim.topology.loader import load_topology, load_topology_text
from routesim.topology.yamlpos import ProtoSection

__all__ = ["Problem", "ProtoSection", "TopologyError", "load_topology", "load_topology_text"]
