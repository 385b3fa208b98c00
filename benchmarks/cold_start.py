"""Cold start of `advisor ask`: one question from a fresh process, the way a person runs it, as whole-process
CPU (user + sys, from the operating system's own accounting of each finished child) and wall time.

With `--before DIR` (the code at an earlier commit, e.g. `git worktree add /tmp/before <commit>`, run with
this venv), the two are run in turn, A B A B ..., after one warm-up each (which also builds each one's index
in its own home, and the copy of it a search answers from), and each pair gives a ratio (after / before), so the
comparison holds when the machine's speed drifts. Every run asks in a session of its own, so each one does the same
work.

With PYTHONDONTWRITEBYTECODE=1 in the environment (as in some sandboxes), every run compiles the advisor's modules
from source (~0.1 s); `--bytecode` gives each tree a bytecode cache of its own in the scratch folder, as an installed
package has.

Run from the repository root:
    .venv/bin/python benchmarks/cold_start.py [--before DIR] [--runs 7] [--question "..."] [--bytecode]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "I'm a nurse, what should I do?"


@dataclass(frozen=True)
class Run:
    cpu: float  # user + sys seconds
    user: float
    sys: float
    wall: float
    exit_code: int


def run_once(tree: Path, home: Path, session: str, question: str, bytecode: Path | None = None) -> Run:
    """`advisor ask` from the code in `tree`, as a new process; its CPU seconds as the kernel counted them. With
    `bytecode`, compiled modules are kept there (and not compiled again by the next run)."""
    env = {**os.environ, "PYTHONPATH": str(tree), "ADVISOR_HOME": str(home), "ADVISOR_MODEL": "offline"}
    env.pop("OPENAI_API_KEY", None)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(bytecode)
    command = [sys.executable, "-m", "advisor.interfaces.cli", "ask", "--session", session, question]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return Run(usage.ru_utime + usage.ru_stime, usage.ru_utime, usage.ru_stime, wall, process.returncode)


def row(name: str, values: list[float]) -> str:
    return f"{name:<22}{min(values):>9.2f}{statistics.median(values):>9.2f}{max(values):>9.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, help="a tree of the code to compare with (run with this venv)")
    parser.add_argument("--runs", type=int, default=7, help="counted runs of each (default 7)")
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--bytecode", action="store_true", help="keep compiled modules between runs")
    args = parser.parse_args()
    trees = {"after": ROOT, **({"before": args.before.resolve()} if args.before else {})}
    runs: dict[str, list[Run]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory(prefix="advisor-cold-") as scratch:
        homes = {name: Path(scratch) / name for name in trees}
        caches = {name: Path(scratch) / f"bytecode-{name}" if args.bytecode else None for name in trees}
        for name, tree in trees.items():  # warm-up: builds the index in its home, fills the file cache
            run_once(tree, homes[name], "warm-up", args.question, caches[name])
        for i in range(args.runs):
            for name, tree in trees.items():
                runs[name].append(run_once(tree, homes[name], f"cold-{i}", args.question, caches[name]))
    load = os.getloadavg()[0]
    compiled = ("bytecode cached" if args.bytecode or not os.environ.get("PYTHONDONTWRITEBYTECODE")
                else "modules compiled from source in every run (PYTHONDONTWRITEBYTECODE)")
    print(f"`advisor ask {args.question!r}` from a cold process, offline; {args.runs} runs each after one warm-up; "
          f"{compiled}; {os.cpu_count()} CPUs, load average {load:.1f} at the end")
    print(f"{'':<22}{'min':>9}{'median':>9}{'max':>9}")
    for name, got in runs.items():
        failed = [r.exit_code for r in got if r.exit_code]
        print(f"{name} ({trees[name]})" + (f"  EXIT CODES {failed}" if failed else ""))
        print(row("  cpu s (user+sys)", [r.cpu for r in got]))
        print(row("  user s", [r.user for r in got]))
        print(row("  sys s", [r.sys for r in got]))
        print(row("  wall s", [r.wall for r in got]))
    if "before" in runs:
        pairs = list(zip(runs["after"], runs["before"], strict=True))
        print("after / before, pair by pair")
        print(row("  cpu ratio", [a.cpu / b.cpu for a, b in pairs]))
        print(row("  wall ratio", [a.wall / b.wall for a, b in pairs]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
