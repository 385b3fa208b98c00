"""`advisor eval`: the labelled case set in `evals/` run through the offline advisor, scored, and held to the
floors in `evals/floors.yaml`; exits 1 when a figure is below its floor."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from advisor.errors import InputError
from advisor.interfaces.terminal import print_json, table
from advisor.settings import PROJECT_ROOT

PART = re.compile(r"(heldout|tuning)(\d*)")


def parts_in(folder: Path) -> list[str]:
    """The case-set parts present in a folder: held-out ones first, each kind in number order."""
    found = [m for p in folder.glob("*.yaml") if (m := PART.fullmatch(p.stem))]
    return [m.group(0) for m in sorted(found, key=lambda m: (m.group(1) != "heldout", int(m.group(2) or 1)))]


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
               for s in splits]
    if args.json:
        print_json({r.split: {"figures": r.figures, "below_floor": r.below_floor, "seconds": round(r.seconds, 1),
                              "turn_ms_p50": round(r.turn_ms_p50, 1),
                              "failures": [{"id": o.case.id, "notes": o.notes} for o in r.failures]}
                    for r in reports})
    else:
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
    return 1 if any(r.below_floor for r in reports) else 0
