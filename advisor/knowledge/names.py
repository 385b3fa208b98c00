"""Finding the fields a text names, by id, name or alias."""

from __future__ import annotations

import re

from advisor.knowledge.base import Knowledge


def field_mentions(text: str, knowledge: Knowledge) -> list[str]:
    """Field ids named in `text` by id, name or alias, in order of first mention."""
    low = " " + re.sub(r"\s+", " ", text.lower()) + " "
    found: list[tuple[int, str]] = []
    for card in knowledge.fields:
        names = [card.id.replace("-", " "), card.id, card.name.lower(), *card.aliases]
        positions = [m.start() for n in names for m in re.finditer(rf"(?<![\w-]){re.escape(n)}(?![\w-])", low)]
        if positions:
            found.append((min(positions), card.id))
    return [fid for _, fid in sorted(found)]
