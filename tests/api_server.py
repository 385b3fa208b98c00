"""Test helpers for the HTTP API: a real uvicorn server in a thread on a free 127.0.0.1 port, and a service on
the offline backend (or a scripted LLM endpoint) over its own copy of the prebuilt index."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from advisor.knowledge import Knowledge
from advisor.settings import Settings, load_settings


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve `app` with uvicorn until the block ends; yields the base URL (`http://127.0.0.1:PORT`)."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="advisor-api-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def api_settings(home: Path, indexed_home: Path, **env: str) -> Settings:
    """Settings for a home holding a copy of the prebuilt index; no rate limit unless `env` sets one."""
    shutil.copytree(indexed_home, home, dirs_exist_ok=True)
    return load_settings({"ADVISOR_HOME": str(home), "ADVISOR_API_RATE_LIMIT": "0", **env})


def offline_app(settings: Settings, knowledge: Knowledge, *, web: bool = False, model: str = "offline") -> Any:
    from advisor.chat.models import resolve_backend
    from advisor.chat.service import ConversationService
    from advisor.interfaces.api import create_app

    service = ConversationService(knowledge, settings, resolve_backend(model, settings, knowledge))
    return create_app(service, settings, web=web)
