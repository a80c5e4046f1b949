"""When to run SPF: the back-off delay algorithm of RFC 8405.

RFC 2328 §16 leaves the scheduling of the routing table calculation to the implementation; RFC 8405
standardises it so that routers of different makes react to a burst of changes alike (fewer
micro-loops, RFC 8541) and a router does not spend a burst recomputing:

* ``QUIET``: nothing happened for ``HOLDDOWN_INTERVAL``. The first IGP event runs SPF after
  ``INITIAL_SPF_DELAY`` and moves to ``SHORT_WAIT`` (§5.1 transition 1).
* ``SHORT_WAIT``: for ``TIME_TO_LEARN_INTERVAL`` after that first event, an event arms SPF
  ``SHORT_SPF_DELAY`` later (transition 2) when no run is pending already; then ``LONG_WAIT``
  (transition 3).
* ``LONG_WAIT``: the same with ``LONG_SPF_DELAY`` (transition 4), until ``HOLDDOWN_INTERVAL`` passes
  without an event: back to ``QUIET`` (transitions 5 and 6). Every event restarts the holddown.

Sans-IO like the engine: the LEARN and HOLDDOWN timers are deadlines checked when the next event
comes (nothing happens on their expiry but a state change, so they need no timer of their own);
SPF_TIMER is the engine's ``spf_at``.
"""

from __future__ import annotations

import enum

from routesim.proto.ospf.config import OspfTimers


class BackoffState(enum.StrEnum):
    QUIET = "quiet"
    SHORT_WAIT = "short-wait"
    LONG_WAIT = "long-wait"


class SpfBackoff:
    """The RFC 8405 state machine of one OSPF instance."""

    def __init__(self, timers: OspfTimers) -> None:
        self.timers = timers
        self._state = BackoffState.QUIET
        self._learn_at = 0.0
        self._holddown_at = 0.0

    def state(self, now: float) -> BackoffState:
        """The state at ``now``, with the LEARN and HOLDDOWN expiries that passed applied."""
        if self._state is not BackoffState.QUIET and now >= self._holddown_at:
            self._state = BackoffState.QUIET  # transitions 5 and 6
        elif self._state is BackoffState.SHORT_WAIT and now >= self._learn_at:
            self._state = BackoffState.LONG_WAIT  # transition 3
        return self._state

    def event(self, now: float) -> float:
        """An IGP event at ``now``: the delay after which SPF should run, if no run is pending."""
        t = self.timers
        state = self.state(now)
        self._holddown_at = now + t.spf_holddown
        if state is BackoffState.QUIET:
            self._state = BackoffState.SHORT_WAIT
            self._learn_at = now + t.spf_time_to_learn
            return t.spf_delay
        return t.spf_short_delay if state is BackoffState.SHORT_WAIT else t.spf_long_delay

    def inspect(self, now: float) -> dict[str, object]:
        state = self.state(now)
        return {
            "state": str(state),
            "holddown_in": round(max(0.0, self._holddown_at - now), 3)
            if state is not BackoffState.QUIET
            else None,
        }
