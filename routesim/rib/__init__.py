"""Per-router routing information base.

* ``table.py``: :class:`Rib`, candidates from every source, selection by administrative distance
  then metric (ECMP inside a candidate), FIB diffs for the kernel.
* ``sources.py``: the candidates the router makes itself: connected routes from its interfaces
  and static routes from its configuration (resolved over connected subnets).

Nothing here touches the kernel: ``router/fib.py`` applies the diffs over netlink.
"""

from routesim.rib.sources import StaticSpec, connected_routes, static_routes
from routesim.rib.table import FibChange, Rib

__all__ = ["FibChange", "Rib", "StaticSpec", "connected_routes", "static_routes"]
