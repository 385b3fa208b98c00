"""The OpenAI-compatible HTTP API (`advisor serve`): FastAPI app, request and response shapes, the guard in
front of `/v1` (tokens, rate and size limits) and the streaming of a turn. Imported only by `advisor serve`."""

from advisor.interfaces.api.app import create_app

__all__ = ["create_app"]
