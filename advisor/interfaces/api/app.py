"""`create_app(service, settings)`: the ASGI app of `advisor serve`. OpenAI's chat-completions API
(`POST /v1/chat/completions`, streamed or whole; `GET /v1/models`), `GET /healthz`, and the web app at `/`
when `advisor.interfaces.web` provides `build_ui`. A thin face of the conversation service: it only formats
the service's events.

Conversations belong to their owner: with ADVISOR_API_TOKENS, the token a request carries (kept only as a keyed
hash); without tokens, the local owner. `X-Advisor-Session` names a session within that owner, and `user` maps to
a keyed hash within it, so one token never reaches another's conversations. A fault of the store is a 503 that
names no path."""

from __future__ import annotations

import hmac
import importlib.util
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import Response, StreamingResponse

from advisor.chat.events import Answer, Event, TurnFinished
from advisor.chat.service import ConversationService, validate_mode
from advisor.chat.store import LOCAL, SessionError, StoreUnavailableError
from advisor.chat.store import session_name as normalised_name
from advisor.errors import AdvisorError
from advisor.interfaces.api.errors import (
    SERVER_FAULT,
    APIError,
    Redactor,
    advisor_error,
    error_payload,
    install_error_handlers,
)
from advisor.interfaces.api.guard import Guard
from advisor.interfaces.api.limits import limit_store
from advisor.interfaces.api.schemas import (
    ChatCompletion,
    ChatCompletionRequest,
    ErrorBody,
    Health,
    ModelCard,
    ModelList,
)
from advisor.interfaces.api.turns import Completion, Transcript, run_turn, strip_sources
from advisor.settings import Settings
from advisor.storage.owners import Owners

log = logging.getLogger("advisor.api")

LLM_TURN_THREADS = 16  # turns of an LLM backend at once: they mostly wait for the model's endpoint


def turn_threads(service: ConversationService) -> int:
    """How many of a model's turns run at once; more wait their turn, first come first served. Offline turns
    are CPU-bound Python: more threads than cores only share the same cores (and the GIL) unfairly, which
    stretches every turn and makes the slowest wait longest."""
    return LLM_TURN_THREADS if not service.backend.offline else max(2, os.cpu_count() or 2)
OFFLINE_MODEL = "advisor-offline"
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in [(400, "bad request"), (401, "missing or wrong bearer token"), (404, "unknown model"),
                         (408, "the request body did not arrive in time"), (413, "request body too large"),
                         (429, "too many requests, or too many failed logins"), (500, "server fault"),
                         (503, "a service the advisor needs is unavailable")]
}
STREAM_DOC = {"text/event-stream": {"schema": {"type": "string",
                                               "description": "`data: <ChatCompletionChunk JSON>` events, then "
                                                              "`data: [DONE]`"}}}


def model_id(service: ConversationService) -> str:
    return OFFLINE_MODEL if service.backend.offline else f"advisor-{service.backend.name}"


def available_models(service: ConversationService) -> dict[str, ConversationService]:
    """One model per backend: the configured one first, then the offline one (always available)."""
    if service.backend.offline:
        return {OFFLINE_MODEL: service}
    offline = ConversationService(service.knowledge, service.settings, service.offline(), store=service.store,
                                  retriever=service.retriever)
    return {model_id(service): service, OFFLINE_MODEL: offline}


def request_owner(authorization: str | None, tokens: list[str], owners: Owners) -> str:
    """Whose conversations a request reaches: its bearer token's (as a keyed hash), or local without tokens."""
    if not tokens:
        return LOCAL
    scheme, _, value = (authorization or "").strip().partition(" ")
    token = value.strip() if scheme.lower() == "bearer" else ""
    if not any(hmac.compare_digest(token.encode(), t.encode()) for t in tokens):  # the guard checked it too
        raise APIError(401, "The bearer token is not valid for this server.", code="invalid_api_key")
    return owners.token(token)


def session_name(header: str | None, user: str | None, owner: str = LOCAL, owners: Owners | None = None) -> str | None:
    """The owner's session to continue: the X-Advisor-Session header (normalised), else the `user` field as a
    keyed hash within the owner's namespace (knowing someone's id reaches nothing); None: stateless."""
    if header is not None and header.strip():
        try:
            return normalised_name(header)
        except SessionError as exc:
            raise APIError(400, f"Bad X-Advisor-Session: {str(exc).partition(': ')[2] or exc}.",
                           code="invalid_session", param="X-Advisor-Session") from None
    if user is not None and user.strip():
        if owners is None:
            raise APIError(500, SERVER_FAULT, code="internal_error")
        return owners.api_user(owner, user.strip())
    return None


def turn_starter(service: ConversationService, body: ChatCompletionRequest, session: str | None,
                 mode: str, owner: str = LOCAL) -> Callable[[], Iterator[Event]]:
    last = body.messages[-1]
    if last.role != "user":
        raise APIError(400, "The last message must be the user's.", code="invalid_messages", param="messages")
    if session is not None:
        text = last.text()
        return lambda: service.ask(session, text, mode, owner=owner)
    history: list[tuple[str, str]] = [
        (m.role, strip_sources(m.text()) if m.role == "assistant" else m.text())
        for m in body.messages if m.role in ("user", "assistant")]
    return lambda: service.stateless(history, mode)


STORE_FAULT = "The conversation store is unavailable right now; nothing you sent was lost. Try again in a moment."


def _as_api_error(exc: Exception) -> APIError:
    if isinstance(exc, APIError):
        return exc
    if isinstance(exc, StoreUnavailableError):  # the operator's problem: the log has the path and the fix
        log.error("the session store failed: %s", exc)
        return APIError(503, STORE_FAULT, code="store_unavailable")
    if isinstance(exc, AdvisorError):
        return advisor_error(exc)
    log.error("unexpected error while streaming an answer", exc_info=exc)
    return APIError(500, SERVER_FAULT, code="internal_error")


def create_app(service: ConversationService, settings: Settings, *, web: bool = True) -> FastAPI:
    """The app for `advisor serve`; `web=False` leaves out the web app (tests of the API alone)."""
    settings.check_api_tokens()  # none, or weak ones (under 16 characters, little variety): refused at start
    tokens = settings.api_token_list
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    redact = Redactor([key, *tokens])
    models = available_models(service)
    owners = Owners(settings.home)
    started = int(time.time())
    pools = {name: ThreadPoolExecutor(max_workers=turn_threads(svc), thread_name_prefix=f"turn-{name}")
             for name, svc in models.items()}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        for pool in pools.values():
            pool.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="AI-safety career advisor API", version="1", lifespan=lifespan,
                  description="OpenAI-compatible chat completions answered by the advisor, with citations.",
                  docs_url=None, redoc_url=None, openapi_url="/v1/openapi.json")  # no docs page: it loads a CDN
    install_error_handlers(app, redact)

    def json_response(payload: Any, status: int = 200) -> Response:
        return Response(redact.dumps(payload), status_code=status, media_type="application/json")

    @app.get("/healthz", response_model=Health, tags=["health"])
    async def healthz() -> Response:
        return json_response({"status": "ok"})

    def card(name: str, svc: ConversationService) -> dict[str, Any]:
        return ModelCard(id=name, created=started, description=f"The advisor answering with {svc.backend.label}."
                         ).model_dump()

    @app.get("/v1/models", response_model=ModelList, responses=ERRORS, tags=["models"])
    async def list_models() -> Response:
        return json_response({"object": "list", "data": [card(name, svc) for name, svc in models.items()]})

    @app.get("/v1/models/{model}", response_model=ModelCard, responses=ERRORS, tags=["models"])
    async def get_model(model: str) -> Response:
        return json_response(card(model, _pick(models, model)))

    @app.post("/v1/chat/completions", response_model=ChatCompletion, tags=["chat"],
              responses={**ERRORS, 200: {"content": STREAM_DOC,
                                         "description": "the answer (a ChatCompletion, or chunks when streaming)"}})
    async def chat_completions(
        body: ChatCompletionRequest,
        x_advisor_session: Annotated[str | None, Header(max_length=256)] = None,
        x_advisor_mode: Annotated[str | None, Header(max_length=32)] = None,
        authorization: Annotated[str | None, Header(max_length=4096, include_in_schema=False)] = None,
    ) -> Response:
        svc = _pick(models, body.model)
        mode = validate_mode(body.mode or (x_advisor_mode or "").strip() or "detailed")
        owner = request_owner(authorization, tokens, owners)
        start = turn_starter(svc, body, session_name(x_advisor_session, body.user, owner, owners), mode, owner)
        completion = Completion(body.model)
        events = run_turn(start, pools[body.model])
        if not body.stream:
            transcript = Transcript()
            try:
                answer = await _settle(events, transcript)
            except StoreUnavailableError as exc:
                raise _as_api_error(exc) from None
            return json_response(completion.whole(transcript.content(), answer))
        try:
            first = await anext(events)  # a bad message fails here, before the stream starts: a proper 400
        except StoreUnavailableError as exc:
            raise _as_api_error(exc) from None
        return StreamingResponse(_sse(first, events, completion, redact), media_type="text/event-stream",
                                 headers={"cache-control": "no-cache", "x-accel-buffering": "no"})

    @app.api_route("/v1/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def no_route(rest: str, request: Request) -> Response:
        known = {"chat/completions", "models"}
        if rest.rstrip("/") in known:
            raise APIError(405, f"{request.method} is not allowed on /v1/{rest}.", code="method_not_allowed")
        raise APIError(404, f"No route {request.method} /v1/{rest}. The API serves POST /v1/chat/completions and "
                            "GET /v1/models.", code="not_found")

    database_url = settings.database_url.get_secret_value() if settings.database_url else None
    app.add_middleware(Guard, tokens=tokens, max_body=settings.api_max_body, rate_limit=settings.api_rate_limit,
                       redact=redact, limits=limit_store(database_url), body_timeout=settings.api_body_timeout,
                       client_turns=settings.api_client_turns)
    app.state.models = models
    app.state.web = mount_web(app, service, settings, owners) if web else False
    return app


def _pick(models: dict[str, ConversationService], name: str) -> ConversationService:
    if name not in models:
        raise APIError(404, f"The model {name!r} does not exist. Available: {', '.join(models)}.",
                       code="model_not_found", param="model")
    return models[name]


async def _settle(events: AsyncIterator[Event], transcript: Transcript) -> Answer:
    answer: Answer | None = None
    async for event in events:
        transcript.feed(event)
        if isinstance(event, TurnFinished):
            answer = event.answer
    if answer is None:
        raise RuntimeError("the turn ended without an answer")
    return answer


async def _sse(first: Event, events: AsyncIterator[Event], completion: Completion,
               redact: Redactor) -> AsyncIterator[bytes]:
    def frame(payload: dict[str, Any]) -> bytes:
        return b"data: " + redact.dumps(payload) + b"\n\n"

    transcript = Transcript()
    yield frame(completion.chunk({"role": "assistant", "content": ""}))
    event: Event | None = first
    try:
        while event is not None:
            piece = transcript.feed(event)
            if piece:
                yield frame(completion.chunk({"content": piece}))
            if isinstance(event, TurnFinished):
                yield frame(completion.chunk({}, "stop", event.answer))
            event = await anext(events, None)
    except Exception as exc:  # after the 200 has gone out: OpenAI's clients raise on an `error` event
        failure = _as_api_error(exc)
        yield frame(error_payload(failure.status, failure.message, failure.code, failure.param))
        return
    yield b"data: [DONE]\n\n"


class TokenLogins:
    """Web logins made with an API token as the password: the token decides whose conversations the user sees
    (the same as the API's with that token). Gradio remembers a login by its user name, in this process; so a
    user name, once logged in with one token, is refused with any other token while the process runs."""

    def __init__(self, tokens: list[str], owners: Owners) -> None:
        self.tokens = tokens
        self.owners = owners
        self.claims: dict[str, str] = {}
        self.lock = threading.Lock()

    def check(self, user: str, password: str) -> bool:
        token = next((t for t in self.tokens if hmac.compare_digest(password.encode(), t.encode())), None)
        if token is None or not user.strip():
            return False
        owner = self.owners.token(token)
        with self.lock:
            claimed = self.claims.setdefault(user.strip(), owner)
        if claimed != owner:
            log.warning("web login refused: that user name is in use with another token")
        return claimed == owner

    def owner(self, user: str) -> str:
        with self.lock:
            owner = self.claims.get(user.strip())
        if owner is None:
            raise SessionError("Your login has expired; reload the page and log in again.")
        return owner


def mount_web(app: FastAPI, service: ConversationService, settings: Settings, owners: Owners | None = None) -> bool:
    """Mount the web app at `/` if `advisor.interfaces.web` provides `build_ui`. Its login is the one of
    `advisor ui` (ADVISOR_UI_AUTH); without one but with API tokens, any user name with a token as the password
    (so tokens protect the whole server, and a token's web conversations are its API conversations). Returns
    whether it was mounted."""
    if importlib.util.find_spec("advisor.interfaces.web") is None:
        log.warning("advisor.interfaces.web is not there: serving the API alone")
        return False
    from advisor.interfaces import web

    build_ui = getattr(web, "build_ui", None)
    if build_ui is None:
        log.warning("advisor.interfaces.web has no build_ui: serving the API alone")
        return False
    import gradio as gr

    tokens = settings.api_token_list
    login = settings.ui_login
    owners = owners or Owners(settings.home)
    logins = TokenLogins(tokens, owners) if tokens and not login else None
    auth: Any = login or (logins.check if logins else None)
    message = ("Log in with the user and password set in ADVISOR_UI_AUTH." if login else
               "Log in with any user name and one of this server's API tokens as the password." if tokens else None)
    ui = build_ui(service, logins.owner if logins else owners.web_user)
    gr.mount_gradio_app(app, ui, path="/", auth=auth, auth_message=message, show_error=False,
                        footer_links=["api", "settings"])
    return True
