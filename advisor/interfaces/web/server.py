"""Serving the web app: builds the shared service and the page, binds 127.0.0.1 by default, asks for a login
when ADVISOR_UI_AUTH is set, never makes a share link, and prints the address. Without a login every visitor
is the local owner (conversations are reached by their unguessable codes), so listening beyond this machine
without one prints a warning."""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.chat.service import ConversationService

log = logging.getLogger("advisor.web")
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def exposure_warning(host: str, login: object) -> str | None:
    """What to tell the operator when the app listens beyond this machine without a login."""
    if login or host in LOOPBACK:
        return None
    return (f"warning: listening on {host or '0.0.0.0'} without a login: anyone who can reach this port can chat "
            "as the local owner (and resume a conversation whose code they know). Set ADVISOR_UI_AUTH=user:password "
            "to require a login.")


def offline_environment() -> None:
    """No analytics or telemetry calls from Gradio or Chroma (set before either is imported)."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def make_service() -> ConversationService:
    from advisor.chat.models import resolve_backend
    from advisor.chat.service import ConversationService
    from advisor.knowledge import load_knowledge
    from advisor.settings import load_settings

    settings = load_settings()
    knowledge = load_knowledge(settings.knowledge_dir)
    return ConversationService(knowledge, settings, resolve_backend(None, settings, knowledge))


WARM_UP_QUESTION = "I'm a software engineer who likes interpretability. Which field should I work on?"


def warm_up(service: ConversationService) -> threading.Thread:
    """Load the search index, the embedding model and (offline) the advisor's understanding in the background,
    so the first person's first answer is quick. Nothing is stored: the offline turn runs without a session."""
    def run() -> None:
        from advisor.chat.service import settle

        try:
            service.retriever()
            if service.backend.offline:
                settle(service.stateless([("user", WARM_UP_QUESTION)]))
        except Exception:  # the first real turn will report it properly
            log.warning("could not warm up the advisor in advance", exc_info=True)

    thread = threading.Thread(target=run, name="advisor-warm-up", daemon=True)
    thread.start()
    return thread


def launch(host: str = "127.0.0.1", port: int = 7860, service: ConversationService | None = None,
           block: bool = True, quiet: bool = False) -> Any:
    """Serve the page at http://host:port/; returns Gradio's (app, local url, share url) when not blocking."""
    offline_environment()
    from advisor.interfaces.web.app import build_ui

    service = service or make_service()
    warm_up(service)
    demo = build_ui(service)
    login = service.settings.ui_login
    from starlette.middleware import Middleware

    from advisor.interfaces.api.guard import LoginThrottle
    from advisor.interfaces.web.theme import page_theme

    # a page for people: no "Use via API · Settings" footer (programs use the API's own documentation)
    result = demo.launch(server_name=host, server_port=port, share=False, auth=login, inbrowser=False,
                         app_kwargs={"middleware": [Middleware(LoginThrottle)]},  # failed logins slow down
                         prevent_thread_lock=True, quiet=True, show_error=False, footer_links=[], theme=page_theme(),
                         auth_message="The AI-safety career advisor: log in with the user and password set in "
                                      "ADVISOR_UI_AUTH." if login else None)
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    warning = exposure_warning(host, login)
    if warning:
        log.warning("%s", warning)
        print(f"advisor ui: {warning}", file=sys.stderr, flush=True)
    if not quiet:
        print(f"The AI-safety career advisor is running at http://{shown}:{port}/ (backend: "
              f"{service.backend.label}{'; login required' if login else ''}). Press Ctrl+C to stop.", flush=True)
    if not block:
        return result
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
    finally:
        demo.close()
    return result
