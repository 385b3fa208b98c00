"""Errors as OpenAI's error JSON (`{"error": {"message", "type", "param", "code"}}`) with the right status,
and the one place that serialises what the API sends, so no secret (the backend's key, a bearer token) and no
stack trace ever leaves the server. Server-side faults are logged in full and answered with a short message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from advisor.errors import AdvisorError, InputError, ServiceError
from advisor.redact import redact

log = logging.getLogger("advisor.api")

MIN_SECRET_CHARS = 6  # shorter values would mangle ordinary words and are no secret anyway
SERVER_FAULT = ("The advisor could not answer because of a problem on the server. The operator can find the "
                "cause in the server's log.")
ERROR_TYPES = {400: "invalid_request_error", 401: "invalid_request_error", 404: "invalid_request_error",
               405: "invalid_request_error", 408: "invalid_request_error", 413: "invalid_request_error",
               429: "rate_limit_error", 503: "service_unavailable"}


class APIError(Exception):
    """An error to answer with `status` and OpenAI's error body."""

    def __init__(self, status: int, message: str, code: str | None = None, param: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.headers = dict(headers or {})


class Redactor:
    """Text about to be sent, with every secret the server holds (the backend's key, the API tokens) and
    anything shaped like a key or credential replaced by `[redacted]` (see `advisor.redact`)."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        self.secrets = [s for s in secrets if s and len(s) >= MIN_SECRET_CHARS]

    def __call__(self, text: str) -> str:
        return redact(text, self.secrets)

    def dumps(self, payload: Any) -> bytes:
        """`payload` as JSON bytes, redacted."""
        return self(json.dumps(payload, ensure_ascii=False)).encode("utf-8")


def error_payload(status: int, message: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    kind = ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def error_response(redact: Redactor, status: int, message: str, code: str | None = None, param: str | None = None,
                   headers: Mapping[str, str] | None = None) -> Response:
    return Response(redact.dumps(error_payload(status, message, code, param)), status_code=status,
                    headers=dict(headers or {}), media_type="application/json")


def advisor_error(exc: AdvisorError) -> APIError:
    """An `AdvisorError` as the API answers it: the user's own mistakes with their message, faults of the
    server (knowledge base, prompts, services) with a short message; the log keeps the detail."""
    if isinstance(exc, InputError):
        return APIError(400, str(exc), code="invalid_input")
    log.error("advisor error while answering: %s: %s", type(exc).__name__, exc)
    if isinstance(exc, ServiceError):
        return APIError(503, SERVER_FAULT, code="service_unavailable")
    return APIError(500, SERVER_FAULT, code="internal_error")


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    errors = exc.errors()
    if not errors:
        return "The request is not valid.", None
    first = errors[0]
    loc = [str(part) for part in first.get("loc", ()) if part != "body"]
    param = ".".join(loc) or None
    if first.get("type") == "json_invalid":
        return "The request body is not valid JSON.", None
    where = f"{param}: " if param else ""
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return f"{where}{first.get('msg', 'invalid value')}{more}", param


def install_error_handlers(app: FastAPI, redact: Redactor) -> None:
    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, APIError)
        return error_response(redact, exc.status, exc.message, exc.code, exc.param, exc.headers)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        message, param = _validation_message(exc)
        return error_response(redact, 400, message, "invalid_request", param)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = {404: f"No route {request.method} {request.url.path}. The API serves /v1/chat/completions and "
                        "/v1/models.",
                   405: f"{request.method} is not allowed on {request.url.path}."}.get(exc.status_code, str(exc.detail))
        return error_response(redact, exc.status_code, message, headers=exc.headers)

    async def on_advisor(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, AdvisorError)
        return await on_api_error(request, advisor_error(exc))

    async def on_anything(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return error_response(redact, 500, SERVER_FAULT, "internal_error")

    app.add_exception_handler(APIError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(AdvisorError, on_advisor)
    app.add_exception_handler(Exception, on_anything)
