"""`advisor serve`: the OpenAI-compatible HTTP API and the web app in one process (FastAPI + uvicorn).
FastAPI, uvicorn and the chat layer are imported only when the command runs, so other commands start fast."""

from __future__ import annotations

import argparse
import sys

from advisor.errors import InputError

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="serve the OpenAI-compatible HTTP API (/v1) and the web app (/)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    p.add_argument("--model", help="the backend besides offline: offline, openai:<model>, "
                                   "openai-compatible:<model> or local (default: ADVISOR_MODEL, else offline)")
    p.add_argument("--no-web", action="store_true", help="serve the API alone, without the web app at /")
    p.set_defaults(handler=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    if not 1 <= args.port <= 65535:
        raise InputError(f"--port {args.port} is not a port: use 1-65535.")
    import uvicorn

    from advisor.interfaces.api import create_app
    from advisor.interfaces.cli_chat import make_service

    service = make_service(args.model)
    settings = service.settings
    app = create_app(service, settings, web=not args.no_web)
    from advisor.interfaces.web.server import warm_up

    warm_up(service)  # the index, the embedder and the offline understanding, before the first request
    base = f"http://{'[' + args.host + ']' if ':' in args.host else args.host}:{args.port}"
    print(f"advisor serve: models {', '.join(app.state.models)}; API {base}/v1"
          f"{f'; web app {base}/' if app.state.web else ''}", flush=True)
    if args.host not in LOOPBACK and not settings.api_token_list:
        print(f"advisor serve: warning: listening on {args.host} with no ADVISOR_API_TOKENS: anyone who can reach "
              "this port can use the advisor.", file=sys.stderr, flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", server_header=False)
    return 0
