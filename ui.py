"""The web app: `python ui.py [--host 127.0.0.1] [--port 7860]` serves the advisor in a browser and prints its
address (the same as `advisor ui`)."""

from __future__ import annotations

import argparse
import sys

from advisor.errors import AdvisorError
from advisor.interfaces.cli_web import add_options, cmd_ui


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ui.py", description="The AI-safety career advisor in a browser.")
    add_options(parser)
    args = parser.parse_args(argv)
    try:
        return cmd_ui(args)
    except AdvisorError as exc:
        print(f"ui.py: error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
