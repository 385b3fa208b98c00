"""The fixed texts the offline advisor compares messages with (intent, preference and what-if examples, field
summaries and tasks, the facets and the people of each field card), found by recording a short probe
conversation (every labelled set it builds or uses, and every string of the example files it reads), so that
their vectors ship beside the knowledge and a cold process embeds only the user's words.
`advisor index --ship-vectors` writes them; a test fails when the shipped file misses one."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.knowledge import Knowledge
from advisor.settings import Settings

if TYPE_CHECKING:
    from advisor.search.retrieve import Retriever

# Each turn reaches a different part of the offline advisor's understanding.
PROBES = (
    "I'm a nurse, what should I do?",
    "I'm a backend engineer with 6 months of runway; I like interpretability but I dislike heavy maths.",
    "I work as a registered midwife and I volunteer as a statistics tutor. I can't relocate.",
    "Forecasting is exactly my kind of thing.",
    "Why is scalable oversight ranked first?",
    "Why does field building fit me?",
    "Compare those two for me.",
    "What if automated eval generation works?",
    "What if it got much easier to tell whether a result is right?",
    "What should I read first? I have about two hours a week.",
    "What is the day-to-day work in technical AI governance like? Do I need a PhD?",
    "What does RLHF mean?",
    "What does the essay say about evals?",
    "Should I quit my job now or keep it?",
    "Sum it up in three bullets.",
    "thanks!",
)


def fixed_texts(knowledge: Knowledge, settings: Settings, retriever: Callable[[], Retriever]) -> list[str]:
    """The fixed texts in use while an offline advisor (in a throwaway home) answers the probe conversation,
    plus every text of the field cards that fit is measured against."""
    from advisor.chat.fit import fixed_texts as card_texts
    from advisor.chat.models import offline_backend
    from advisor.chat.service import ConversationService, settle
    from advisor.search.semantic import recording

    with tempfile.TemporaryDirectory(prefix="advisor-probe-") as home, recording() as recorder:
        scratch = settings.model_copy(update={"home": Path(home), "database_url": None})
        service = ConversationService(knowledge, scratch, offline_backend(knowledge, scratch), retriever=retriever)
        for probe in PROBES:
            settle(service.ask("probe", probe))
    return sorted(recorder.used | set(card_texts(knowledge)))


def ship_fixed_texts(knowledge: Knowledge, settings: Settings, retriever: Callable[[], Retriever]) -> Path:
    """Write the vectors of `fixed_texts` beside the knowledge."""
    from advisor.search.semantic import forget_shipped
    from advisor.search.shipped import write_text_vectors

    path = write_text_vectors(settings.knowledge_dir, fixed_texts(knowledge, settings, retriever))
    forget_shipped()
    return path
