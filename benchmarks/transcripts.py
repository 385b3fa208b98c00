"""Writes the transcripts of a conversation part (every turn: what the person said, what the offline advisor
answered, its answer type) as Markdown, for a fresh reader to judge good / partly / wrong.

    python benchmarks/transcripts.py evals/conversations/heldout1.yaml OUT.md
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from advisor.chat.conversation_eval import body, load_conversations
from advisor.chat.events import TurnFinished
from advisor.chat.models import resolve_backend
from advisor.chat.service import ConversationService
from advisor.chat.sessions import SessionStore
from advisor.knowledge import load_knowledge
from advisor.settings import load_settings


def main(part: Path, out: Path) -> None:
    settings = load_settings()
    knowledge = load_knowledge(settings.knowledge_dir)
    lines = [f"# Transcripts of {part.name} (offline advisor)", ""]
    with tempfile.TemporaryDirectory() as tmp:
        service = ConversationService(knowledge, settings, resolve_backend("offline", settings, knowledge),
                                      store=SessionStore(Path(tmp) / "t.sqlite3"))
        for c in load_conversations(part, knowledge):
            lines += [f"## {c.id}: {c.who}", ""]
            for i, t in enumerate(c.turns, 1):
                answer = next(e.answer for e in service.ask(c.id, t.say) if isinstance(e, TurnFinished))
                lines += [f"**Turn {i}, person:** {t.say}", "", f"**Advisor** ({answer.intent}):", "",
                          body(answer.answer), ""]
    out.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
