"""The plugin server's queue of cancellable tickets, against a small reference (Hypothesis)."""

import simpy
from hypothesis import given
from hypothesis import strategies as st

from simroute.engine.plugins import PluginServer

OPS = st.lists(st.tuples(st.sampled_from(["call", "release", "withdraw", "abandon"]), st.integers(0, 20)),
               max_size=60)


@given(capacity=st.integers(1, 3), ops=OPS)
def test_slots_go_in_order_to_tickets_still_in_line_and_never_leak(capacity, ops):
    env = simpy.Environment()
    server = PluginServer(env, "p", capacity)
    holders = 0  # slots held by callers
    busy = 0  # reference: slots taken (by callers or by work for callers who left)
    line: list[list] = []  # reference: [ticket, "waiting" | "withdrawn" | "abandoned"], in order
    for op, k in ops:
        if op == "call":
            got = server.try_acquire()
            assert got == (busy < capacity)
            if got:
                busy += 1
                holders += 1
            else:
                line.append([server.wait(), "waiting"])
        elif op == "release" and holders:
            holders -= 1
            server.release()
            while line and line[0][1] == "withdrawn":  # left the line: skipped
                line.pop(0)
            if line:
                ticket, state = line.pop(0)
                if state == "waiting":  # the slot goes straight to the next caller
                    assert ticket.event.triggered
                    holders += 1
                # "abandoned": the plugin works on it for nobody; the slot stays taken
            else:
                busy -= 1
        elif op in ("withdraw", "abandon"):
            waiting = [e for e in line if e[1] == "waiting"]
            if waiting:
                entry = waiting[k % len(waiting)]
                if op == "withdraw":
                    server.withdraw(entry[0])
                    entry[1] = "withdrawn"
                else:
                    server.abandon(entry[0], lambda start: 1.0, lambda start, end: None)
                    entry[1] = "abandoned"
        assert server.busy == busy <= capacity
        assert server.waiting == sum(1 for _, state in line if state != "withdrawn")
        assert not any(t.event.triggered for t, state in line if state == "waiting")
    # everyone leaves: the callers still waiting withdraw, the holders give their slots back,
    # abandoned work finishes by itself — and then no slot is taken
    for ticket, state in line:
        if state == "waiting":
            server.withdraw(ticket)
    for _ in range(holders):
        server.release()
    env.run()
    assert (server.busy, server.waiting) == (0, 0)
