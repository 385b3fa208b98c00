"""`advisor plan`: the transition plan for a session's person (the same planner the chat's plan answer uses),
sized to their hours and runway or to the ones given here; nothing is stored."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import asdict

from advisor.interfaces.terminal import print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plan", help="a week-by-week plan for your move, sized to your hours and runway")
    p.add_argument("--session", default="default", help="whose profile to plan for (default: 'default')")
    p.add_argument("--hours", type=_bounded(1, 100, "hours a week"), metavar="N",
                   help="hours a week (default: from the profile, else 10, and said so)")
    horizon = p.add_mutually_exclusive_group()
    horizon.add_argument("--runway", type=_bounded(1, 24, "months of runway"), metavar="M",
                         help="months to plan for (default: the profile's runway, else 12 weeks)")
    horizon.add_argument("--weeks", type=_bounded(1, 104, "weeks"), metavar="W", help="weeks to plan for")
    p.add_argument("--fields", metavar="A,B", help="plan for these fields (names or ids; default: your top picks)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_plan)


def _bounded(low: int, high: int, what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a whole number, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be between {low} and {high}, not {value}")
        return value

    return parse


def cmd_plan(args: argparse.Namespace) -> int:
    from advisor.chat.fit import picks
    from advisor.chat.store import open_store
    from advisor.knowledge import load_knowledge
    from advisor.knowledge.transition import transition_plan
    from advisor.settings import load_settings

    settings = load_settings()
    knowledge = load_knowledge(settings.knowledge_dir)
    profile = open_store(settings).profile(args.session)
    if args.fields:
        fields = [knowledge.field(name.strip()).id for name in args.fields.split(",") if name.strip()]
    else:  # the same picks the chat gives this profile
        fields = [r.field_id for r in picks(knowledge, profile, top=2)]
    weeks = args.weeks or (round(args.runway * 4.33) if args.runway else None)
    plan = transition_plan(knowledge, profile, fields, hours_per_week=args.hours, weeks=weeks)
    if args.json:
        print_json({**asdict(plan), "start": plan.start.isoformat(), "total_hours": plan.total_hours})
        return 0
    names = " and ".join(knowledge.field(f).name for f in plan.fields)
    print(f"A plan for {names}: {plan.hours_per_week} hours a week for {plan.weeks} weeks "
          f"({plan.total_hours} hours in all), starting {plan.start:%d %B %Y}.")
    if plan.assumed:
        print(f"Assumed, since you have not said: {', '.join(plan.assumed)} (change it with --hours, --runway).")
    for step in plan.steps:
        weeks_text = f"Week {step.start_week}" if step.start_week == step.end_week else \
            f"Weeks {step.start_week}-{step.end_week}"
        print(f"- {weeks_text} (from {plan.week_date(step.start_week):%d %b}), {step.phase}, about {step.hours} "
              f"hours: {step.text}")
        for source in step.sources:
            print(f"    source: {source}")
    print(f"- Decision point: {plan.decision}")
    return 0
