"""Can one client slow another? Client B sends short questions one after another; client A (its own token)
sends the largest stateless histories the server accepts (ADVISOR_MAX_HISTORY_MESSAGES messages,
ADVISOR_MAX_HISTORY_CHARS characters), several at once, for as long as B runs. Printed: B's p50/p95 alone
and beside A, the ratio, and A's own latency; side by side with the obvious alternative, no per-client cap
on running turns (ADVISOR_API_CLIENT_TURNS=1000), in the same run.

Bounded: loopback only (`advisor serve` as a child process on a free 127.0.0.1 port, always stopped), a fixed
number of B requests, A's loops stop when B is done and each has a request cap.

Run from the repository root:  .venv/bin/python benchmarks/fairness.py  [--requests 20] [--greedy 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.processes import ADVISOR, advisor_serve  # noqa: E402  (ROOT is on the path only from here)

TOKEN_A = "greedy-7Hq2Lm9Xw4Rt8Zp1"
TOKEN_B = "modest-3Fk8Nv6Yc2Js5Qd0"
QUESTIONS = ["Why is scalable oversight ranked first?", "What should I read on mechanistic interpretability?",
             "Compare evals and technical governance.", "Which fields are the safest bets against automation?"]
ABOUT = ("I'm a backend engineer with six years of Go and Python. I like interpretability and careful empirical "
         "work, I don't want policy work, I have about eight months of savings and I live in Berlin. ")
MAX_GREEDY_REQUESTS = 60  # per greedy thread: a cap even if B never finishes


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def largest_history(max_messages: int, max_chars: int) -> list[dict[str, str]]:
    """A stateless conversation at both limits: as many messages as allowed (odd: it ends with the user's),
    filling the characters allowed; the user's messages are about themselves, the costliest to read."""
    count = max_messages if max_messages % 2 else max_messages - 1
    each = min(4000, (max_chars - 100) // count)
    text = (ABOUT * (each // len(ABOUT) + 1))[:each]
    messages = [{"role": "user" if i % 2 == 0 else "assistant", "content": text} for i in range(count - 1)]
    return [*messages, {"role": "user", "content": "So what should I do?"}]


@contextmanager
def server(home: Path, log: Path, **env: str) -> Iterator[str]:
    environ = {**os.environ, "ADVISOR_HOME": str(home), "ADVISOR_MODEL": "offline", "ADVISOR_API_RATE_LIMIT": "0",
               "ADVISOR_API_TOKENS": f"{TOKEN_A},{TOKEN_B}", "GRADIO_ANALYTICS_ENABLED": "False",
               "ANONYMIZED_TELEMETRY": "False", **env}
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CHROMA_HOST", "ADVISOR_DATABASE_URL"):
        environ.pop(var, None)
    with advisor_serve(environ, log, "--host", "127.0.0.1", "--no-web") as base:
        yield base


def measure(base: str, requests: int, greedy: int, max_messages: int = 60, max_chars: int = 60_000,
            warmup: int = 3, greedy_timeout: float = 300.0) -> dict[str, Any]:
    """B's latencies alone, then beside `greedy` threads of A sending the largest histories (each A request
    gives up after `greedy_timeout` seconds and A sends the next; the server's turn runs on regardless)."""
    import httpx

    def ask(http: httpx.Client, i: int) -> float:
        start = time.perf_counter()
        response = http.post("/v1/chat/completions", json={
            "model": "advisor-offline", "messages": [{"role": "user", "content": QUESTIONS[i % len(QUESTIONS)]}]})
        response.raise_for_status()
        return time.perf_counter() - start

    big = {"model": "advisor-offline", "messages": largest_history(max_messages, max_chars)}
    stop = threading.Event()
    greedy_times: list[float] = []
    greedy_codes: list[int] = []

    def hog() -> None:
        with httpx.Client(base_url=base, timeout=greedy_timeout,
                          headers={"authorization": f"Bearer {TOKEN_A}"}) as http:
            for _ in range(MAX_GREEDY_REQUESTS):
                if stop.is_set():
                    return
                start = time.perf_counter()
                try:
                    code = http.post("/v1/chat/completions", json=big).status_code
                except httpx.TimeoutException:
                    code = 0
                greedy_codes.append(code)
                if code == 200:
                    greedy_times.append(time.perf_counter() - start)

    with httpx.Client(base_url=base, timeout=300, headers={"authorization": f"Bearer {TOKEN_B}"}) as http:
        for i in range(warmup):
            ask(http, i)
        alone = [ask(http, i) for i in range(requests)]
        threads = [threading.Thread(target=hog, daemon=True) for _ in range(greedy)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)  # A's first turns are running
        try:
            beside = [ask(http, i) for i in range(requests)]
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=greedy_timeout + 5)
    return {"alone_p50": percentile(alone, 0.5), "alone_p95": percentile(alone, 0.95),
            "beside_p50": percentile(beside, 0.5), "beside_p95": percentile(beside, 0.95),
            "ratio_p50": percentile(beside, 0.5) / percentile(alone, 0.5),
            "greedy_p50": percentile(greedy_times, 0.5) if greedy_times else float("nan"),
            "greedy_done": len(greedy_times), "greedy_refused": sum(c == 429 for c in greedy_codes),
            "greedy_gave_up": sum(c == 0 for c in greedy_codes)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20, help="B's requests per phase (default 20)")
    parser.add_argument("--greedy", type=int, default=3, help="A's requests at once (default 3)")
    args = parser.parse_args()
    if not 1 <= args.requests <= 1000 or not 1 <= args.greedy <= 32:
        parser.error("--requests 1-1000, --greedy 1-32")
    home = Path(tempfile.mkdtemp(prefix="advisor-fairness-"))
    try:
        environ = {**os.environ, "ADVISOR_HOME": str(home)}
        subprocess.run([ADVISOR, "index"], env=environ, check=True, stdout=subprocess.DEVNULL)
        rows = []
        for label, turns in (("per-client cap (default, 1 turn)", "1"), ("no per-client cap", "1000")):
            with server(home, home / "serve.log", ADVISOR_API_CLIENT_TURNS=turns) as base:
                rows.append((label, measure(base, args.requests, args.greedy)))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; B: {args.requests} short "
          f"questions per phase; A: {args.greedy} at once, each 59 messages / ~60,000 characters")
    print(f"{'server':34} {'B alone p50/p95':>17} {'B beside A p50/p95':>20} {'p50 ratio':>9} {'A p50':>7} "
          f"{'A done':>6}")
    for label, r in rows:
        print(f"{label:34} {r['alone_p50'] * 1000:7.0f}/{r['alone_p95'] * 1000:5.0f} ms "
              f"{r['beside_p50'] * 1000:9.0f}/{r['beside_p95'] * 1000:6.0f} ms {r['ratio_p50']:8.2f}x "
              f"{r['greedy_p50']:6.1f}s {r['greedy_done']:6d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
