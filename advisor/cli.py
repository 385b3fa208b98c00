"""The `advisor` command: parses arguments, dispatches to a command, and turns errors into clear messages."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from advisor import __version__


class UserError(Exception):
    """A problem the user can fix; printed without a traceback, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    from advisor import cli_chat, cli_knowledge, cli_retrieval

    parser = argparse.ArgumentParser(
        prog="advisor",
        description="The AI-safety career advisor: which technical AI-safety fields are safer bets against "
        "automation, why, and what to read. Works offline; see README for configuration.",
    )
    parser.add_argument("--version", action="version", version=f"advisor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    cli_knowledge.register(sub)
    cli_retrieval.register(sub)
    cli_chat.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from advisor.chunking import DocumentError
    from advisor.embeddings import EmbeddingModelMissingError
    from advisor.engine import MessageError
    from advisor.index import IndexStoreError
    from advisor.knowledge import KnowledgeError, UnknownFieldError
    from advisor.models import BackendError
    from advisor.prompts import PromptError
    from advisor.ranking import RankingInputError
    from advisor.retrieve import SearchInputError
    from advisor.sessions import SessionError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 0
    try:
        return int(args.handler(args))
    except (UnknownFieldError, RankingInputError, UserError, SearchInputError, DocumentError, MessageError,
            SessionError, BackendError) as exc:
        print(f"advisor: error: {exc}", file=sys.stderr)
        return 2
    except KeyError as exc:  # unknown scenario and the like
        print(f"advisor: error: {exc.args[0] if exc.args else exc}", file=sys.stderr)
        return 2
    except (KnowledgeError, PromptError) as exc:
        print(f"advisor: error in the knowledge base or prompts: {exc}", file=sys.stderr)
        return 1
    except (IndexStoreError, EmbeddingModelMissingError) as exc:
        print(f"advisor: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nadvisor: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
