"""Printing for the command line: JSON for programs, aligned plain-text tables for people."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO

# characters JSON leaves raw but a terminal may act on: DEL, C1 controls, bidirectional overrides
_RAW = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def print_json(data: Any, out: TextIO | None = None) -> None:
    """`data` as JSON; every control character is written as a \\u escape (the data is unchanged)."""
    out = out or sys.stdout
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    out.write(_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text))
    out.write("\n")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], max_width: int = 60) -> str:
    """A plain-text table; cells longer than `max_width` are cut with an ellipsis."""

    def cell(value: object) -> str:
        text = str(value)
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    cells = [[cell(v) for v in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)
