"""`advisor fields | rank | explain | readings`: the knowledge base and the exposure ranking on the command line."""

from __future__ import annotations

import argparse

from advisor.interfaces.terminal import print_json, table
from advisor.knowledge import LEVELS, Knowledge, load_knowledge
from advisor.knowledge.explain import Explanation, explain_rank, rank_moves
from advisor.knowledge.ranking import FACTORS, Ranking, parse_override, parse_weights, rank_fields, scenario_overrides
from advisor.prompts import Prompts
from advisor.settings import load_settings

VERDICT = {True: "agrees with our model", False: "disagrees with our model",
           None: "takes no position on sooner or later"}


def load() -> Knowledge:
    return load_knowledge(load_settings().knowledge_dir)


def _prompts() -> Prompts:
    return Prompts(load_settings().prompts_dir)


def add_what_if_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--weights", default="", help="factor weights, e.g. feedback_quality=2,economic_incentive=1")
    p.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="FIELD.FACTOR=SCORE",
        help="what-if score for one field, e.g. evals.feedback_quality=5 (repeatable)",
    )
    p.add_argument("--scenario", action="append", default=[], help="a named what-if from knowledge/scenarios.yaml")


def ranking_from_args(k: Knowledge, args: argparse.Namespace) -> Ranking:
    overrides = scenario_overrides(k, args.scenario)
    for text in args.overrides:
        field_id, factor, score = parse_override(text, k)
        overrides.setdefault(field_id, {})[factor] = score
    return rank_fields(k, parse_weights(args.weights), overrides)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fields", help="list the research fields")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_fields)

    p = sub.add_parser("rank", help="rank fields by exposure to automation (1 = most likely automated first)")
    add_what_if_options(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_rank)

    p = sub.add_parser("explain", help="why a field ranks where it does")
    p.add_argument("field", help="an id, name or alias, e.g. 'mech interp' or 'evals'")
    add_what_if_options(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_explain)

    p = sub.add_parser("readings", help="recommended readings")
    p.add_argument("--field", help="only this field (id, name or alias)")
    p.add_argument("--level", choices=LEVELS)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_readings)


def cmd_fields(args: argparse.Namespace) -> int:
    k = load()
    rows = [
        {"id": c.id, "name": c.name, "aliases": c.aliases, "summary": c.summary, "last_reviewed": c.last_reviewed}
        for c in k.fields
    ]
    if args.json:
        print_json(rows)
    else:
        print(table(["id", "name", "summary"], [[r["id"], r["name"], r["summary"]] for r in rows], max_width=90))
    return 0


def cmd_rank(args: argparse.Namespace) -> int:
    k = load()
    ranking = ranking_from_args(k, args)
    baseline = rank_fields(k)
    moves = rank_moves(baseline, ranking, _prompts())
    what_if = ranking != baseline
    if args.json:
        rows = []
        for f in ranking.fields:
            row = f.to_dict()
            row["essay_rank"] = k.essay_rank(f.id)
            row["source_of_rank"] = "essay" if row["essay_rank"] is not None else "model"
            if what_if:
                row["baseline_rank"] = moves[f.id].old_rank
                row["why_moved"] = moves[f.id].sentence
            rows.append(row)
        print_json(rows)
        return 0
    headers = ["rank", "field", "exposure", *(f.name.split("_")[0] for f in FACTORS), "source"]
    rows_out = []
    for f in ranking.fields:
        source = f"essay #{k.essay_rank(f.id)}" if k.essay_rank(f.id) else "model"
        moved = moves[f.id]
        label = f.name if moved.old_rank == f.rank else f"{f.name} (was #{moved.old_rank})"
        rows_out.append([f.rank, label, f"{f.score:.2f}", *(c.score for c in f.factors), source])
    print(table(headers, rows_out))
    weights = ", ".join(f"{n}={w:g}" for n, w in ranking.weights.items())
    print(f"\nweights: {weights}. Exposure 0..1, higher = more likely automated first.")
    print("'source' says whether the essay states the position or our model estimates it;"
          " the essay's ranked list was lost, and only its #1 is known.")
    for move in moves.values():
        if what_if and move.old_rank != move.new_rank:
            print(f"- {ranking.get(move.field_id).name} {move.sentence}")
    return 0


def format_explanation(e: Explanation) -> str:
    half = "safer half (less exposed)" if e.in_safer_half else "more exposed half"
    source = f"the essay (#{e.essay_rank})" if e.source_of_rank == "essay" else "our model's estimate"
    lines = [
        f"{e.name}: #{e.rank} of {e.total} by exposure to automation ({half}); exposure {e.score:.2f}.",
        f"Source of the position: {source}.",
        "",
        "Factors (score 1-5, weight, share of exposure):",
    ]
    for f in sorted(e.factors, key=lambda f: -f.contribution):
        direction = "raises" if f.source == "essay" else "lowers when high"
        changed = f" (what-if; card says {f.changed_from})" if f.changed_from is not None else ""
        lines.append(
            f"  - {f.label} [{f.source} factor, {direction}]: {f.score}/5{changed}, weight {f.weight:g}, "
            f"+{f.contribution:.2f} — {f.rationale}"
        )
    lines += ["", f"What the essay says: {e.essay_says}"]
    lines += [f"  [{ev.passage_id}] ({ev.provenance}) \"{ev.text}\"" for ev in e.essay_evidence]
    if e.other_views:
        lines += ["", "Other assessments:"]
        lines += [
            f"  - {v.source}, \"{v.title}\" ({v.url}): {v.claim}"
            f" [{VERDICT[v.agrees_with_model]}]"
            for v in e.other_views
        ]
    if e.what_if:
        lines += ["", f"What-if: {e.name} {e.what_if.sentence}"]
    lines += ["", "Caveats:"] + [f"  - {c}" for c in e.caveats]
    return "\n".join(lines)


def cmd_explain(args: argparse.Namespace) -> int:
    k = load()
    explanation = explain_rank(k, args.field, ranking_from_args(k, args), _prompts())
    if args.json:
        print_json(explanation.to_dict())
    else:
        print(format_explanation(explanation))
    return 0


def cmd_readings(args: argparse.Namespace) -> int:
    k = load()
    cards = [k.field(args.field)] if args.field else list(k.fields)
    rows = [
        {**r.model_dump(), "field": c.id}
        for c in cards
        for r in sorted(c.readings, key=lambda r: LEVELS.index(r.level))
        if args.level in (None, r.level)
    ]
    if args.json:
        print_json(rows)
    elif not rows:
        print("No readings match.")
    else:
        print(table(
            ["field", "level", "min", "year", "title", "authors", "url"],
            [[r["field"], r["level"], r["minutes"], r["year"], r["title"], r["authors"], r["url"]] for r in rows],
            max_width=48,
        ))
    return 0
