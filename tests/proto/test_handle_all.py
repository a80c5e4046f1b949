"""``handle_all``: a batch goes to ``handle_batch`` when the engine has one, else event by event."""

from __future__ import annotations

from routesim.proto.base import Log, TimerFired, handle_all


class OneByOne:
    name = "x"

    def handle(self, event, now):
        return [Log(f"{event.key}@{now}")]


class Batched(OneByOne):
    def handle_batch(self, events, now):
        return [Log("+".join(str(e.key) for e in events))]


def test_batch_without_handle_batch_is_handled_in_order():
    out = handle_all(OneByOne(), [TimerFired("a"), TimerFired("b")], 1.0)
    assert [a.message for a in out] == ["a@1.0", "b@1.0"]


def test_batch_with_handle_batch_is_one_call():
    out = handle_all(Batched(), [TimerFired("a"), TimerFired("b")], 1.0)
    assert [a.message for a in out] == ["a+b"]
