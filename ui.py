"""The web page for the advisor (Gradio). Not built yet: the conversation engine comes first.

Run `advisor rank`, `advisor explain FIELD` or `advisor readings` meanwhile (see README).
"""

from __future__ import annotations

import sys


def main() -> int:
    print("The web UI is not available yet. Use the command line: `advisor --help`.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
