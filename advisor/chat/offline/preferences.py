"""Likes and dislikes said in words the plain cues miss ("right up my alley", "sounds like a slog"), read by
meaning: the clause, with the field it names replaced by "it", against the labelled attitudes in
`knowledge/preferences.yaml`. Only a clear winner counts; anything close is a mention and records nothing."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field

from advisor.chat.offline.data import read_data

FILLER = re.compile(r"\b(?:on the other hand|in contrast|though|however|honestly|to be honest|tbh|frankly|really|"
                    r"genuinely|actually|for me|to me|personally)\b")  # words that carry no attitude


class PreferenceExamples(BaseModel):
    margin: float = Field(ge=0, le=1)  # how far ahead of the other two lists the winner must be
    floor: float = Field(ge=0, le=1)  # how close to the winner's examples the clause must be
    like: list[str] = Field(min_length=1)
    dislike: list[str] = Field(min_length=1)
    neutral: list[str] = Field(min_length=1)


class PreferenceModel:
    def __init__(self, examples: PreferenceExamples) -> None:
        from advisor.search.semantic import LabelledSet

        self.margin, self.floor = examples.margin, examples.floor
        self.examples = LabelledSet([("like", t) for t in examples.like] + [("dislike", t) for t in examples.dislike]
                                    + [("neutral", t) for t in examples.neutral], k=3)

    def polarity(self, masked: str) -> int:
        """+1 or -1 when the clause (its field replaced by "it") clearly says a like or a dislike, else 0."""
        masked = re.sub(r"\s+", " ", FILLER.sub(" ", masked)).strip(" ,")
        scores = sorted(self.examples.scores(masked).items(), key=lambda kv: -kv[1])
        (best, top), (_, second) = scores[0], scores[1]
        if top < self.floor or top - second < self.margin:
            return 0
        return {"like": 1, "dislike": -1}.get(best, 0)


@lru_cache(maxsize=4)
def load_preference_model(directory: Path) -> PreferenceModel:
    return PreferenceModel(read_data(directory / "preferences.yaml", PreferenceExamples))
