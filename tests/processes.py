"""Processes the tests (and the load benchmarks) start on this machine: a free loopback port, and `advisor serve`
run as a user runs it (started on a free port, ready once /healthz answers, always stopped)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ADVISOR = str(Path(sys.executable).with_name("advisor"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def advisor_serve(env: dict[str, str], log: Path, *args: str, port: int | None = None) -> Iterator[str]:
    """`advisor serve --port N ARGS` with its output in `log`; yields its base URL once it answers /healthz and
    stops it on exit. Fails with the end of the log when it exits or does not answer within 120 s."""
    port = port or free_port()
    with log.open("w") as out:
        proc = subprocess.Popen([ADVISOR, "serve", "--port", str(port), *args], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"advisor serve did not start: {log.read_text()[-3000:]}")
                time.sleep(0.25)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
