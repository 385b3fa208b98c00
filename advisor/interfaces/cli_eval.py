"""`advisor eval`: the labelled case set in `evals/` run through the offline advisor, scored, and held to the
floors in `evals/floors.yaml`; exits 1 when a figure is below its floor."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.errors import InputError
from advisor.interfaces.terminal import print_json, table
from advisor.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from advisor.chat.conversation_eval import ConversationReport

PART = re.compile(r"(heldout|tuning)(\d*)")


CONVERSATIONS = "conversations"
CONV_PREFIX = "conv-"


def parts_in(folder: Path) -> list[str]:
    """The case-set parts present in a folder: held-out ones first, each kind in number order; then the
    conversation parts of its `conversations/` folder, named `conv-heldout1`, `conv-tuning1` …"""
    found = [m for p in folder.glob("*.yaml") if (m := PART.fullmatch(p.stem))]
    order = sorted(found, key=lambda m: (m.group(1) != "heldout", int(m.group(2) or 1)))
    inner = parts_in(folder / CONVERSATIONS) if (folder / CONVERSATIONS).is_dir() else []
    return [m.group(0) for m in order] + [CONV_PREFIX + p for p in inner]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="score the offline advisor on the labelled case set (tuning and held-out)")
    p.add_argument("--split", default="all", metavar="PART",
                   help="which part to run: tuning parts (tuned on) or held-out parts (never tuned on, each "
                        "written by someone new), e.g. tuning3 or heldout2, or all present (default)")
    p.add_argument("--cases", type=Path, default=PROJECT_ROOT / "evals", metavar="DIR",
                   help="the folder with tuning.yaml, heldout.yaml and floors.yaml (default: evals/)")
    p.add_argument("--failures", action="store_true", help="list every case that missed, with what went wrong")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    import yaml

    from advisor.chat.conversation_eval import evaluate_conversations, load_conversations
    from advisor.chat.evaluation import METRICS, evaluate, load_cases
    from advisor.chat.models import resolve_backend
    from advisor.chat.service import ConversationService
    from advisor.chat.sessions import SessionStore
    from advisor.errors import DataError
    from advisor.knowledge import load_knowledge
    from advisor.settings import load_settings

    present = parts_in(args.cases)
    if args.split != "all" and args.split not in present:
        raise InputError(f"no part '{args.split}' in {args.cases}; the parts there are: {', '.join(present)}")
    settings = load_settings()
    knowledge = load_knowledge(settings.knowledge_dir)
    backend = resolve_backend("offline", settings, knowledge)
    try:
        floors = yaml.safe_load((args.cases / "floors.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"{args.cases / 'floors.yaml'}: {exc}") from exc

    def service(tmp: Path) -> ConversationService:
        return ConversationService(knowledge, settings, backend, store=SessionStore(tmp / "eval.sqlite3"))

    splits = present if args.split == "all" else [args.split]
    reports = [evaluate(service, load_cases(args.cases / f"{s}.yaml"), knowledge, s, floors.get(s, {}))
               for s in splits if not s.startswith(CONV_PREFIX)]
    talks = [evaluate_conversations(service, load_conversations(
        args.cases / CONVERSATIONS / f"{s.removeprefix(CONV_PREFIX)}.yaml", knowledge), knowledge, s,
        floors.get(s, {})) for s in splits if s.startswith(CONV_PREFIX)]
    if args.json:
        print_json({**{r.split: {"figures": r.figures, "below_floor": r.below_floor, "seconds": round(r.seconds, 1),
                                 "turn_ms_p50": round(r.turn_ms_p50, 1),
                                 "failures": [{"id": o.case.id, "notes": o.notes} for o in r.failures]}
                       for r in reports},
                    **{t.split: {"figures": t.figures, "below_floor": t.below_floor, "seconds": round(t.seconds, 1),
                                 "turn_ms_p50": round(t.turn_ms_p50, 1),
                                 "failures": [{"id": o.conversation.id, "turn": i, "say": turn.say,
                                               "notes": turn.failures}
                                              for o in t.outcomes for i, turn in enumerate(o.turns, 1)
                                              if turn.failures]}
                       for t in talks}})
        return 1 if any(r.below_floor for r in reports) or any(t.below_floor for t in talks) else 0
    if reports:
        rows = []
        for name, (label, _) in METRICS.items():
            cells = [f"{r.figures[name]['value']:g} ({r.figures[name]['cases']:g})" if name in r.figures else "-"
                     for r in reports]
            rows.append([label, *cells])
        print(table(["metric (cases)", *(r.split for r in reports)], rows))
        for r in reports:
            print(f"\n{r.split}: {r.seconds:.1f} s, offline turn p50 {r.turn_ms_p50:.0f} ms, "
                  f"{len(r.failures)} case(s) missed something")
            if args.failures:
                for o in r.failures:
                    print(f"  {o.case.id}: {' | '.join(o.case.messages())}\n    - " + "\n    - ".join(o.notes))
            for line in r.below_floor:
                print(f"  BELOW FLOOR: {line}")
    if talks:
        _print_conversations(talks, args.failures)
    return 1 if any(r.below_floor for r in reports) or any(t.below_floor for t in talks) else 0


def _print_conversations(talks: list[ConversationReport], failures: bool) -> None:
    from advisor.chat.conversation_eval import CONVERSATION_METRICS

    rows = [[label, *(f"{t.figures[name]['value']:g} ({t.figures[name]['cases']:g})" for t in talks)]
            for name, (label, _) in CONVERSATION_METRICS.items()]
    print(table(["conversations: metric (turns)", *(t.split for t in talks)], rows))
    for t in talks:
        missed = sum(bool(turn.failures) for o in t.outcomes for turn in o.turns)
        print(f"\n{t.split}: {t.seconds:.1f} s, offline turn p50 {t.turn_ms_p50:.0f} ms, {missed} turn(s) missed "
              "something")
        if failures:
            for o in t.outcomes:
                for i, turn in enumerate(o.turns, 1):
                    if turn.failures:
                        print(f"  {o.conversation.id} turn {i}: {turn.say}\n    - " + "\n    - ".join(turn.failures))
        for line in t.below_floor:
            print(f"  BELOW FLOOR: {line}")
