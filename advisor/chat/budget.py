"""What one turn may cost the server: at most ADVISOR_TURN_CPU seconds of CPU, and, once it has used more
than an ordinary turn does, it gives way to the others: after each further step it pauses for twice as long as
the step took, so a turn over a very long history uses at most about a third of a core and cannot slow other
people's turns by more than a small factor (figures: benchmarks/RESULTS.md, "Cost limits and fairness")."""

from __future__ import annotations

import time

from advisor.errors import InputError

FREE_CPU_SECONDS = 0.3  # an ordinary turn uses 0.05-0.2 s: it never pauses
COURTESY = 2.0  # past that, pause this many times as long as each step took
MAX_PAUSE = 2.0  # seconds, at most, after one step


class TurnBudgetError(InputError, ValueError):
    """A turn used more CPU than ADVISOR_TURN_CPU allows."""


class TurnBudget:
    """Call `step()` between the pieces of a turn's work, in the thread that does it."""

    def __init__(self, cpu_seconds: float) -> None:
        self.limit = cpu_seconds
        self.cpu_start = time.thread_time()
        self.last = time.perf_counter()

    def used(self) -> float:
        return time.thread_time() - self.cpu_start

    def step(self) -> None:
        used = self.used()
        if used > self.limit:
            raise TurnBudgetError(f"This turn used more than its {self.limit:g} s of CPU (ADVISOR_TURN_CPU). Send a "
                                  "shorter conversation, or let the advisor keep it under a session id "
                                  "(X-Advisor-Session).")
        took = time.perf_counter() - self.last
        if used > FREE_CPU_SECONDS:
            time.sleep(min(MAX_PAUSE, took * COURTESY))
        self.last = time.perf_counter()
