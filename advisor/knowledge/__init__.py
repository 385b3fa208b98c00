"""The knowledge layer: field cards, the essay, assessments and scenarios (loaded and validated), the exposure
ranking, explanations, recommendations and the user's profile. Imports nothing from search, chat or interfaces."""

from advisor.knowledge.base import (
    LEVELS,
    Essay,
    FieldCard,
    Knowledge,
    KnowledgeError,
    Passage,
    Reading,
    UnknownFieldError,
    load_knowledge,
)

__all__ = ["LEVELS", "Essay", "FieldCard", "Knowledge", "KnowledgeError", "Passage", "Reading",
           "UnknownFieldError", "load_knowledge"]
