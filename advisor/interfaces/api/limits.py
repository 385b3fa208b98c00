"""What a client may do how often: chat completions per minute, and how long a client that keeps failing to log
in must wait (exponential backoff). Counted in this process, or, with ADVISOR_DATABASE_URL set to PostgreSQL,
in two small tables that every worker shares, so several workers give the limit once, not once each.

A client is its API token when it sent a valid one, else its address (see `advisor serve`: X-Forwarded-For
counts only from the proxies in ADVISOR_TRUSTED_PROXIES)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger("advisor.api")

MAX_TRACKED_CLIENTS = 10_000
FREE_LOGIN_FAILURES = 3  # typos: the first failures cost nothing
MAX_LOGIN_WAIT = 900.0  # seconds: the longest wait after many failures
FORGET_LOGIN_FAILURES = 3600.0  # seconds without a failure after which a client starts afresh
WINDOW = 60.0  # the shared limit's fixed window, in seconds


def login_wait(failures: int) -> float:
    """Seconds a client must wait after `failures` failed logins in a row: 0 for the first few, then 1, 2, 4, ...
    up to MAX_LOGIN_WAIT."""
    if failures < FREE_LOGIN_FAILURES:
        return 0.0
    return min(MAX_LOGIN_WAIT, 2.0 ** (failures - FREE_LOGIN_FAILURES))


class LimitStore(Protocol):
    """Where request counts and failed logins are kept."""

    blocking: bool  # True: its calls do I/O and run in a worker thread

    def take(self, client: str, per_minute: int) -> float:
        """Count one request of `client`: 0 if allowed, else the seconds to wait before the next one."""

    def login_blocked(self, client: str) -> float | None:
        """Seconds `client` must still wait before it may try to log in again (0: it may; None: it has no
        recent failed login)."""

    def login_failed(self, client: str) -> float:
        """Record a failed login; returns the seconds the client must now wait."""

    def login_succeeded(self, client: str) -> None:
        """Forget the client's failed logins."""


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class _Failures:
    count: int
    last: float


class MemoryLimits:
    """Counts in this process: a token bucket per client (`per_minute` in a burst, refilled at `per_minute` a
    minute) and failed logins per client."""

    blocking = False

    def __init__(self) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._failures: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    def take(self, client: str, per_minute: int) -> float:
        capacity, refill = float(per_minute), per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                if len(self._buckets) >= MAX_TRACKED_CLIENTS:
                    self._forget_idle(now, capacity, refill)
                bucket = self._buckets[client] = _Bucket(capacity, now)
            bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * refill)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / refill

    def _forget_idle(self, now: float, capacity: float, refill: float) -> None:
        """Drop the clients whose buckets have refilled (they are as if new); at worst, the oldest half."""
        full = [k for k, b in self._buckets.items() if b.tokens + (now - b.updated) * refill >= capacity]
        if len(full) < len(self._buckets) // 2:
            full = sorted(self._buckets, key=lambda k: self._buckets[k].updated)[: len(self._buckets) // 2]
        for key in full:
            del self._buckets[key]

    def login_blocked(self, client: str) -> float | None:
        now = time.monotonic()
        with self._lock:
            seen = self._failures.get(client)
            if seen is None:
                return None
            if now - seen.last > FORGET_LOGIN_FAILURES:
                del self._failures[client]
                return None
            return max(0.0, seen.last + login_wait(seen.count) - now)

    def login_failed(self, client: str) -> float:
        now = time.monotonic()
        with self._lock:
            seen = self._failures.get(client)
            if seen is None or now - seen.last > FORGET_LOGIN_FAILURES:
                if len(self._failures) >= MAX_TRACKED_CLIENTS:
                    oldest = sorted(self._failures, key=lambda k: self._failures[k].last)
                    for key in oldest[: len(oldest) // 2]:
                        del self._failures[key]
                seen = self._failures[client] = _Failures(0, now)
            seen.count += 1
            seen.last = now
            return login_wait(seen.count)

    def login_succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)


SCHEMA = (
    "CREATE TABLE IF NOT EXISTS advisor_rate_limits (client TEXT NOT NULL, window_start BIGINT NOT NULL, "
    "hits INTEGER NOT NULL, PRIMARY KEY (client, window_start))",
    "CREATE TABLE IF NOT EXISTS advisor_login_failures (client TEXT PRIMARY KEY, failures INTEGER NOT NULL, "
    "last_failure DOUBLE PRECISION NOT NULL)",
)


class PostgresLimits:
    """Counts shared by every worker, in PostgreSQL: a fixed one-minute window per client (at most
    `per_minute` requests in each window) and failed logins per client. When the database cannot be reached
    the counts fall back to this process (logged), so a database outage never stops the API."""

    blocking = True

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: Any = None
        self._lock = threading.Lock()
        self._local = MemoryLimits()
        self._calls = 0

    def _run(self, sql: str, params: tuple[Any, ...]) -> Any:
        import psycopg

        with self._lock:
            for attempt in (1, 2):  # a connection the server closed is opened again once
                try:
                    if self._conn is None or self._conn.closed:
                        self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
                        for statement in SCHEMA:
                            self._conn.execute(statement)
                    return self._conn.execute(sql, params).fetchone()
                except psycopg.OperationalError:
                    self._conn = None
                    if attempt == 2:
                        raise
        return None

    def _shared(self, what: str, sql: str, params: tuple[Any, ...]) -> Any:
        try:
            return self._run(sql, params)
        except Exception as exc:
            log.warning("rate limits: the shared counts in PostgreSQL are unavailable (%s); counting %s in this "
                        "process", type(exc).__name__, what)
            raise _Unavailable from exc

    def take(self, client: str, per_minute: int) -> float:
        now = time.time()
        start = int(now // WINDOW * WINDOW)
        self._calls += 1
        try:
            if self._calls % 500 == 0:  # forget old windows now and then
                self._shared("requests", "DELETE FROM advisor_rate_limits WHERE window_start < %s "
                                         "RETURNING 1", (start - 2 * int(WINDOW),))
            row = self._shared("requests",
                               "INSERT INTO advisor_rate_limits (client, window_start, hits) VALUES (%s, %s, 1) "
                               "ON CONFLICT (client, window_start) DO UPDATE SET hits = advisor_rate_limits.hits + 1 "
                               "RETURNING hits", (client, start))
        except _Unavailable:
            return self._local.take(client, per_minute)
        return 0.0 if row[0] <= per_minute else max(0.001, start + WINDOW - now)

    def login_blocked(self, client: str) -> float | None:
        try:
            row = self._shared("failed logins", "SELECT failures, last_failure FROM advisor_login_failures "
                                                "WHERE client = %s", (client,))
        except _Unavailable:
            return self._local.login_blocked(client)
        now = time.time()
        if row is None or now - row[1] > FORGET_LOGIN_FAILURES:
            return None
        return max(0.0, row[1] + login_wait(row[0]) - now)

    def login_failed(self, client: str) -> float:
        now = time.time()
        try:
            row = self._shared(
                "failed logins",
                "INSERT INTO advisor_login_failures (client, failures, last_failure) VALUES (%s, 1, %s) "
                "ON CONFLICT (client) DO UPDATE SET failures = CASE WHEN %s - advisor_login_failures.last_failure "
                "> %s THEN 1 ELSE advisor_login_failures.failures + 1 END, last_failure = EXCLUDED.last_failure "
                "RETURNING failures", (client, now, now, FORGET_LOGIN_FAILURES))
        except _Unavailable:
            return self._local.login_failed(client)
        return login_wait(row[0])

    def login_succeeded(self, client: str) -> None:
        try:
            self._shared("failed logins", "DELETE FROM advisor_login_failures WHERE client = %s RETURNING 1",
                         (client,))
        except _Unavailable:
            self._local.login_succeeded(client)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class _Unavailable(Exception):
    """The shared store could not be used for this call."""


def limit_store(database_url: str | None) -> LimitStore:
    """Shared counts in PostgreSQL when the sessions are there, else counts in this process."""
    if database_url and database_url.split(":", 1)[0] in ("postgresql", "postgres", "postgresql+psycopg"):
        return PostgresLimits(database_url.replace("postgresql+psycopg:", "postgresql:", 1))
    return MemoryLimits()
