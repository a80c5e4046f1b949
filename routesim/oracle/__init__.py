"""The oracle: an independent prediction of every router's converged routing table.

It reads only the resolved topology model and computes, with networkx, what each router's RIB
should select: prefix -> protocol, metric and the set of acceptable next hops. It never imports
protocol code, so it is a second opinion rather than a copy of the engines.

* ``expected.py``: the value types (:class:`ExpectedRoute`, :class:`ExpectedTables`).
* ``graph.py``: the networkx graph of the model (routers, hosts, LANs as pseudo-nodes).
* ``connected.py``: connected and static routes (always modeled).
* ``registry.py``: protocols register a function computing their routes; a configured protocol
  without one makes its routes "not modeled" rather than guessed.
* ``compare.py``: verdicts for actual tables against expected ones.
"""

from routesim.oracle.compare import RouteVerdict, Verdict, compare_tables
from routesim.oracle.expected import ExpectedRoute, ExpectedTables
from routesim.oracle.registry import expected_tables, register

__all__ = [
    "ExpectedRoute",
    "ExpectedTables",
    "RouteVerdict",
    "Verdict",
    "compare_tables",
    "expected_tables",
    "register",
]
