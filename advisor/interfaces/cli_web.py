"""`advisor ui`: the web app in a browser (see `advisor.interfaces.web`)."""

from __future__ import annotations

import argparse

from advisor.errors import ServiceError


class PortInUseError(ServiceError):
    """The web app's port is taken by another program."""


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 for everyone)")
    p.add_argument("--port", type=int, default=7860, help="port to listen on (default 7860)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ui", help="the web app: chat, ranking chart, profile and plan in a browser")
    add_options(p)
    p.set_defaults(handler=cmd_ui)


def cmd_ui(args: argparse.Namespace) -> int:
    from advisor.interfaces.web import launch

    try:
        launch(host=args.host, port=args.port)
    except OSError as exc:
        raise PortInUseError(f"Cannot listen on {args.host}:{args.port} ({exc}). Another program may be using "
                             f"the port: try --port {args.port + 1}.") from None
    return 0
