"""Load on the HTTP API (`advisor serve`) with the offline backend: requests per second and p50/p95 latency at
1, 8 and 32 concurrent clients, side by side with the obvious alternative, the conversation service called
in process (no HTTP), so the API's own cost shows.

Bounded: loopback only (the server binds 127.0.0.1 on a free port), a fixed number of requests per level,
a deadline for the whole run; the server is a child process that is always stopped at the end. The server
runs with its own temporary ADVISOR_HOME (index built first), no rate limit, no tokens, no web app.

Run from the repository root:  .venv/bin/python benchmarks/api_load.py  [--requests 160] [--levels 1,8,32]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.processes import ADVISOR, advisor_serve, free_port  # noqa: E402  (ROOT is on the path only from here)

QUESTIONS = [  # a mix of the advisor's intents; stateless, so every request is one turn of the same work
    "I'm a backend engineer with 6 months of runway and I like interpretability. What should I work on?",
    "Why is scalable oversight ranked first?",
    "What if automated eval generation works?",
    "What should I read on mechanistic interpretability?",
    "Compare evals and technical governance.",
    "Which fields are the safest bets against automation?",
    "What does the essay say about field building?",
    "I'm a policy analyst who likes writing. Where do I fit?",
]
WARMUP = 8
DEADLINE_S = 900.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@contextlib.contextmanager
def server(home: Path, port: int) -> Iterator[str]:
    env = {**os.environ, "ADVISOR_HOME": str(home), "ADVISOR_MODEL": "offline", "ADVISOR_API_RATE_LIMIT": "0",
           "GRADIO_ANALYTICS_ENABLED": "False", "ANONYMIZED_TELEMETRY": "False"}
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ADVISOR_API_TOKENS", "CHROMA_HOST"):
        env.pop(var, None)
    subprocess.run([ADVISOR, "index"], env=env, check=True, stdout=subprocess.DEVNULL)
    with advisor_serve(env, home / "serve.log", "--host", "127.0.0.1", "--no-web", port=port) as base:
        yield base


async def load(base: str, clients: int, requests: int, stream: bool) -> dict[str, float]:
    """`requests` chat completions from `clients` concurrent clients; latency is to the last byte (and, when
    streaming, to the first content chunk)."""
    import httpx

    latencies: list[float] = []
    firsts: list[float] = []
    errors = 0
    counter = iter(range(requests))

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors
        for i in counter:
            body = {"model": "advisor-offline", "stream": stream,
                    "messages": [{"role": "user", "content": QUESTIONS[i % len(QUESTIONS)]}]}
            start = time.perf_counter()
            if stream:
                first = None
                async with http.stream("POST", "/v1/chat/completions", json=body) as response:
                    async for line in response.aiter_lines():
                        if first is None and '"content": "' in line and '"content": ""' not in line:
                            first = time.perf_counter() - start
                    ok = response.status_code == 200
                if first is not None:
                    firsts.append(first)
            else:
                response = await http.post("/v1/chat/completions", json=body)
                ok = response.status_code == 200 and bool(response.json()["choices"][0]["message"]["content"])
            latencies.append(time.perf_counter() - start)
            errors += not ok

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        began = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(client(http) for _ in range(clients))), DEADLINE_S)
        wall = time.perf_counter() - began
    result = {"clients": clients, "requests": requests, "errors": errors, "rps": requests / wall,
              "p50": percentile(latencies, 0.5) * 1000, "p95": percentile(latencies, 0.95) * 1000}
    if firsts:
        result["first_p50"] = percentile(firsts, 0.5) * 1000
    return result


def in_process(home: Path, requests: int) -> dict[str, float]:
    """The alternative: the same turns through `ConversationService.stateless`, one at a time, no HTTP."""
    from advisor.chat.models import resolve_backend
    from advisor.chat.service import ConversationService, settle
    from advisor.knowledge import load_knowledge
    from advisor.settings import load_settings

    settings = load_settings({"ADVISOR_HOME": str(home)})
    knowledge = load_knowledge(settings.knowledge_dir)
    service = ConversationService(knowledge, settings, resolve_backend("offline", settings, knowledge))
    for i in range(WARMUP):
        settle(service.stateless([("user", QUESTIONS[i % len(QUESTIONS)])]))
    latencies = []
    began = time.perf_counter()
    for i in range(requests):
        start = time.perf_counter()
        settle(service.stateless([("user", QUESTIONS[i % len(QUESTIONS)])]))
        latencies.append(time.perf_counter() - start)
    wall = time.perf_counter() - began
    return {"clients": 1, "requests": requests, "errors": 0, "rps": requests / wall,
            "p50": percentile(latencies, 0.5) * 1000, "p95": percentile(latencies, 0.95) * 1000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=160, help="requests per concurrency level (default 160)")
    parser.add_argument("--levels", default="1,8,32", help="concurrent clients, comma-separated (default 1,8,32)")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    if args.requests < 1 or not levels or min(levels) < 1 or max(levels) > 256:
        parser.error("--requests must be >= 1 and --levels between 1 and 256")
    home = Path(tempfile.mkdtemp(prefix="advisor-api-load-"))
    rows: list[tuple[str, dict[str, Any]]] = []
    try:
        with server(home, free_port()) as base:
            asyncio.run(load(base, 1, WARMUP, stream=False))  # warm-up: embedder, BM25, first turns
            for clients in levels:
                rows.append(("API, whole answers", asyncio.run(load(base, clients, args.requests, stream=False))))
            for clients in levels[:2]:
                rows.append(("API, streamed", asyncio.run(load(base, clients, args.requests, stream=True))))
        rows.append(("in process, no HTTP (alternative)", in_process(home, args.requests)))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    load_avg = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}; load average at end {load_avg:.2f}")
    print("| how | clients | requests | errors | requests/s | p50 ms | p95 ms | first chunk p50 ms |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for how, r in rows:
        first = f"{r['first_p50']:.0f}" if "first_p50" in r else ""
        print(f"| {how} | {r['clients']} | {r['requests']} | {r['errors']} | {r['rps']:.1f} | {r['p50']:.0f} | "
              f"{r['p95']:.0f} | {first} |")
    api1 = next(r for how, r in rows if how == "API, whole answers" and r["clients"] == 1)
    direct = rows[-1][1]
    print(f"API overhead at 1 client: p50 {api1['p50']:.0f} ms vs {direct['p50']:.0f} ms in process "
          f"= {api1['p50'] / direct['p50']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
