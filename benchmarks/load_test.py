"""Many users at once: concurrent multi-turn conversations over HTTP (`advisor serve`, offline backend), each
in its own session, checked for errors and for leaks between sessions; prints throughput and p50/p95.

Each conversation has its own marker word in every message and its own field of interest. Afterwards every
session's stored messages must hold only its own marker and its profile only its own interest: any other is
a cross-session leak. Bounded: loopback only, a fixed number of conversations and turns, a deadline; the
servers are child processes, always stopped at the end.

Run from the repository root:
  .venv/bin/python benchmarks/load_test.py                       # one server, sessions in SQLite
  .venv/bin/python benchmarks/load_test.py --database-url URL    # two servers sharing PostgreSQL (and their
                                                                 # index, built once into a copied home)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.processes import advisor_serve  # noqa: E402  (ROOT is on the path only from here)

ADVISOR = str(Path(sys.executable).with_name("advisor"))
FIELDS = ["adversarial-robustness", "agent-foundations", "ai-control", "cooperative-ai", "cot-monitoring",
          "evaluations", "field-building", "forecasting", "mechanistic-interpretability", "model-organisms",
          "rlhf-preference-learning", "scalable-oversight", "unlearning", "technical-governance"]
TURNS = ["My code name is {marker}. I am interested in {name}. What should I work on?",
         "As {marker}, why does {name} rank where it does?",
         "{marker} again: what should I read first?",
         "{marker} here: what if automated eval generation works?",
         "Thanks, {marker} signing off. Which field do you recommend for me now?"]


@dataclass
class LoadReport:
    conversations: int
    turns: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    def summary(self) -> str:
        return (f"{self.conversations} conversations x {self.turns} turns: {len(self.latencies)} answers in "
                f"{self.seconds:.1f} s, {self.throughput:.2f} turns/s, p50 {self.percentile(0.5):.2f} s, "
                f"p95 {self.percentile(0.95):.2f} s, mean {statistics.fmean(self.latencies or [0]):.2f} s; "
                f"errors {len(self.errors)}, cross-session leaks {len(self.leaks)}")


def marker(i: int) -> str:
    return f"zq{i:03d}x"


def run_load(bases: list[str], conversations: int = 20, turns: int = 5, deadline: float = 900.0,
             prefix: str = "load") -> LoadReport:
    """`conversations` threads, each a multi-turn conversation in session `{prefix}-{i}`, spread over the
    servers at `bases` turn by turn (a conversation moves between servers)."""
    from advisor.knowledge import load_knowledge
    from advisor.settings import load_settings

    knowledge = load_knowledge(load_settings({}).knowledge_dir)
    report = LoadReport(conversations, turns, 0.0)
    lock = threading.Lock()
    stop_at = time.monotonic() + deadline
    start = threading.Barrier(conversations)

    def converse(i: int) -> None:
        name = knowledge.field(FIELDS[i % len(FIELDS)]).name
        with httpx.Client(timeout=300) as client:
            start.wait()
            for t in range(turns):
                if time.monotonic() > stop_at:
                    with lock:
                        report.errors.append(f"{prefix}-{i}: deadline passed before turn {t + 1}")
                    return
                text = TURNS[t % len(TURNS)].format(marker=marker(i), name=name)
                began = time.perf_counter()
                try:
                    r = client.post(f"{bases[(i + t) % len(bases)]}/v1/chat/completions",
                                    headers={"X-Advisor-Session": f"{prefix}-{i}"},
                                    json={"model": "advisor-offline", "messages": [{"role": "user", "content": text}]})
                    took = time.perf_counter() - began
                    if r.status_code != 200:
                        raise RuntimeError(f"HTTP {r.status_code}: {r.text[:200]}")
                    body = r.json()
                    content = body["choices"][0]["message"]["content"]
                    others = [m for m in (marker(j) for j in range(conversations)) if m != marker(i) and m in content]
                    with lock:
                        report.latencies.append(took)
                        if others:
                            report.leaks.append(f"{prefix}-{i} turn {t + 1}: answer mentions {others}")
                except Exception as exc:
                    with lock:
                        report.errors.append(f"{prefix}-{i} turn {t + 1}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=converse, args=(i,)) for i in range(conversations)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report.seconds = time.perf_counter() - began
    return report


def check_sessions(settings_env: dict[str, str], conversations: int, turns: int, prefix: str = "load") -> list[str]:
    """Leaks and losses in the stored sessions: each holds all its turns, only its own marker, and only its own
    field among its interests."""
    from advisor.chat.store import open_store
    from advisor.settings import load_settings

    store = open_store(load_settings(settings_env))
    problems = []
    for i in range(conversations):
        session = f"{prefix}-{i}"
        messages = store.messages(session)
        asked = [m for m in messages if m.role == "user"]
        if len(asked) != turns or len(messages) != 2 * turns:
            problems.append(f"{session}: {len(asked)} questions and {len(messages) - len(asked)} answers stored")
        text = " ".join(m.content for m in asked)
        others = sorted({marker(j) for j in range(conversations) if j != i and marker(j) in text})
        if others or marker(i) not in text:
            problems.append(f"{session}: stored messages hold {others or 'not its own marker'}")
        interests = set(store.profile(session).interests)
        mine = FIELDS[i % len(FIELDS)]
        strangers = interests - {mine} - _related(mine)
        if mine not in interests or strangers:
            problems.append(f"{session}: profile interests {sorted(interests)} (expected {mine})")
    return problems


def _related(field_id: str) -> set[str]:
    """Fields the understanding reads into a mention of `field_id` (a name that contains another's)."""
    return {"mechanistic-interpretability"} if field_id == "automated-interpretability" else set()


def server(env: dict[str, str], log: Path) -> contextlib.AbstractContextManager[str]:
    """`advisor serve --no-web` on a free loopback port, stopped on exit; yields its base URL."""
    return advisor_serve(env, log, "--no-web")


def serving_env(home: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ADVISOR_MODEL",
                                                              "CHROMA_HOST", "ADVISOR_DATABASE_URL")}
    env.update(ADVISOR_HOME=str(home), GRADIO_ANALYTICS_ENABLED="False", ANONYMIZED_TELEMETRY="False",
               ADVISOR_API_RATE_LIMIT="0",
               # many people behind one address (a front end, or this test): each may have a turn running
               ADVISOR_API_CLIENT_TURNS="64")
    if database_url:
        env["ADVISOR_DATABASE_URL"] = database_url
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--database-url", help="PostgreSQL URL: run two servers that share it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="advisor-load-") as tmp:
        first = Path(tmp) / "home-a"
        indexed = subprocess.run([ADVISOR, "index"], env=serving_env(first, None), capture_output=True, text=True)
        if indexed.returncode:
            print(indexed.stderr, file=sys.stderr)
            return 1
        homes = [first]
        if args.database_url:
            homes.append(Path(tmp) / "home-b")
            shutil.copytree(first, homes[1])
        with contextlib.ExitStack() as stack:
            bases = [stack.enter_context(server(serving_env(h, args.database_url), Path(tmp) / f"{h.name}.log"))
                     for h in homes]
            for base in bases:  # one warm-up turn per server: loading the models is not part of the figures
                httpx.post(f"{base}/v1/chat/completions", timeout=300,
                           json={"model": "advisor-offline", "messages": [{"role": "user", "content": "hello"}]})
            report = run_load(bases, args.conversations, args.turns)
        store_env = {"ADVISOR_HOME": str(first), **({"ADVISOR_DATABASE_URL": args.database_url}
                                                     if args.database_url else {})}
        report.leaks += check_sessions(store_env, args.conversations, args.turns)
    where = f"{len(homes)} server(s), sessions in {'PostgreSQL' if args.database_url else 'SQLite'}"
    print(f"load over HTTP, offline backend, {where}, {os.cpu_count()} cores: {report.summary()}")
    for line in [*report.errors, *report.leaks][:20]:
        print(f"  {line}")
    return 0 if not report.errors and not report.leaks else 1


if __name__ == "__main__":
    sys.exit(main())
