"""The `advisor` command: parses arguments, dispatches to a command, and turns errors into clear messages."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from advisor import __version__
from advisor.errors import AdvisorError, DataError
from advisor.redact import redact


def build_parser() -> argparse.ArgumentParser:
    from advisor.interfaces import cli_chat, cli_doctor, cli_eval, cli_knowledge, cli_search, cli_serve, cli_web
    from advisor.interfaces.cli_plan import register as register_plan
    from advisor.interfaces.cli_train import register as register_train
    from advisor.interfaces.cli_views import register as register_views

    parser = argparse.ArgumentParser(
        prog="advisor",
        description="The AI-safety career advisor: which technical AI-safety fields are safer bets against "
        "automation, why, and what to read. Works offline; see README for configuration.",
    )
    parser.add_argument("--version", action="version", version=f"advisor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    cli_knowledge.register(sub)
    register_views(sub)
    cli_search.register(sub)
    cli_chat.register(sub)
    register_plan(sub)
    cli_web.register(sub)
    cli_serve.register(sub)
    cli_eval.register(sub)
    cli_doctor.register(sub)
    register_train(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    try:
        _legacy_home_notice()
        return int(args.handler(args))
    except AdvisorError as exc:
        kind = "error in the knowledge base or prompts" if isinstance(exc, DataError) else "error"
        print(f"advisor: {kind}: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # the output was piped into a program that stopped reading (e.g. `head`)
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("\nadvisor: interrupted", file=sys.stderr)
        return 130


def _legacy_home_notice() -> None:
    """Say where data left in $HOME by earlier versions is; a bad setting is left to the command to report (`advisor
    doctor` reports it rather than failing)."""
    from advisor.settings import SettingsError, legacy_home_notice, load_settings

    try:
        notice = legacy_home_notice(load_settings())
    except SettingsError:
        return
    if notice:
        print(f"advisor: {notice}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
