"""`advisor serve`: the OpenAI-compatible HTTP API and the web app in one process (FastAPI + uvicorn).
FastAPI, uvicorn and the chat layer are imported only when the command runs, so other commands start fast."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from advisor.errors import InputError
from advisor.settings import Settings, load_settings

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
    load_settings().check_api_tokens()  # weak tokens stop the command before anything loads
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
    uvicorn.Server(uvicorn_config(app, settings, host=args.host, port=args.port)).run()
    return 0


def uvicorn_config(app: Any, settings: Settings, **options: Any) -> Any:
    """How `advisor serve` runs uvicorn: the client's address is the connection's, or, only for connections from
    the proxies in ADVISOR_TRUSTED_PROXIES, the one they put in X-Forwarded-For (uvicorn's default would believe
    any X-Forwarded-For from 127.0.0.1, so a local client could claim any address and dodge the limits)."""
    import uvicorn

    proxies = [str(network) for network in settings.trusted_proxy_networks]
    return uvicorn.Config(app, log_level=options.pop("log_level", "info"), server_header=False,
                          proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None, **options)
