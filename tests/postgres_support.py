"""A real PostgreSQL server for tests, from Debian's packages: `initdb` and `pg_ctl` run as an unprivileged
user (the suite runs as root in CI) on 127.0.0.1 and a free port; started once per test session, stopped at
its end. Each test gets a database of its own."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import free_port

PG_USER = "advisor"


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.fail(f"PostgreSQL's {name} is not installed: `apt-get install -y postgresql` (make test does it)")
    return found[-1]


def _as_owner(cmd: list[str]) -> list[str]:
    """`cmd` run as `nobody` when we are root (PostgreSQL refuses to run as root)."""
    return ["runuser", "-u", "nobody", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The base URL (without a database) of a PostgreSQL server started for this test session."""
    root = Path(tempfile.mkdtemp(prefix="advisor-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "nobody", "nogroup")
    data, port = root / "data", free_port()
    subprocess.run(_as_owner([_bin("initdb"), "-D", str(data), "-U", PG_USER, "--auth=trust", "-E", "UTF8",
                              "--no-sync"]), check=True, capture_output=True, timeout=120)
    options = f"-h 127.0.0.1 -p {port} -k {root} -F -c max_connections=200"
    started = subprocess.run(_as_owner([_bin("pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "log"),
                                        "-w", "-t", "60", "start"]), capture_output=True, text=True, timeout=90)
    if started.returncode:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        pytest.fail(f"PostgreSQL did not start: {started.stderr}\n{log[-2000:]}")
    try:
        yield f"postgresql://{PG_USER}@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_owner([_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                       capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty database on the test server."""
    import psycopg

    name = f"advisor_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"{postgres_server}/{name}"
