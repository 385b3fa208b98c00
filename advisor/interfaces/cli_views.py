"""`advisor views [FIELD] [--json]`: what each public source says about each field, beside our model's placement."""

from __future__ import annotations

import argparse
import textwrap

from advisor.interfaces.terminal import print_json, table
from advisor.knowledge.views import FieldViews, ViewMatrix, view_matrix

MARK = {"more": "+", "less": "-", "no-order": "~", "silent": "."}
AGREEMENT = {"agrees": "agrees with our model", "disagrees": "DISAGREES with our model",
             "no-order": "no position on sooner or later", "silent": "silent"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("views", help="what each source says about each field (the essay and other assessments)")
    p.add_argument("field", nargs="?", help="only this field: an id, name or alias, e.g. 'evals'")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_views)


def cmd_views(args: argparse.Namespace) -> int:
    from advisor.interfaces.cli_knowledge import load

    k = load()
    field_id = k.field(args.field).id if args.field else None  # an unknown name fails with close matches
    matrix = view_matrix(k)
    if args.json:
        data = matrix.to_dict()
        if field_id:
            data["fields"] = [matrix.for_field(field_id).to_dict()]
        print_json(data)
    elif field_id:
        print(format_field(matrix, matrix.for_field(field_id)))
    else:
        print(format_matrix(matrix))
    return 0


def format_matrix(m: ViewMatrix) -> str:
    rows = [[f"#{r.rank}", r.name, "safer" if r.in_safer_half else "exposed",
             *(MARK[c.stance] + ("?" if c.confidence == "inferred" else "") for c in r.cells),
             r.agree, r.disagree, r.no_order, r.silent] for r in m.fields]
    heads = ["model", "field", "half", *(s.short for s in m.sources), "agree", "disagree", "no order", "silent"]
    lines = [table(heads, rows), "",
             "+ more automatable (sooner)   - less automatable (later)   ~ speaks of it, no order   . silent",
             "? our reading of the source, not stated by it. Agreement is with our model's half (safer / exposed).",
             "Sources: " + "; ".join(f"{s.short} = {s.label} ({s.url})" for s in m.sources),
             "When: " + " ".join(f"{s.short}: {s.timing}" for s in m.sources if s.timing),
             "`advisor views FIELD` shows what each source says, with its passage."]
    return "\n".join(lines)


def format_field(m: ViewMatrix, r: FieldViews) -> str:
    lines = [f"{r.name}: our model puts it #{r.rank} of {r.total}, in the {r.model_position}.",
             f"Sources: {r.agree} agree, {r.disagree} disagree, {r.no_order} speak without an order, "
             f"{r.silent} silent.", ""]
    for c in r.cells:
        s = m.source(c.source_id)
        sure = f", {c.confidence}" if c.confidence else ""
        verdict = "" if c.stance == "silent" else f"; {AGREEMENT[c.agreement]}"
        lines.append(f"{s.label}: {c.stance_words}{sure}{verdict}")
        lines += textwrap.wrap(c.says, 100, initial_indent="  ", subsequent_indent="  ")
        for q in c.quotes:
            lines += textwrap.wrap(f"[{q.passage_id}] \"{q.text}\" ({q.where})", 100, initial_indent="    ",
                                   subsequent_indent="    ")
        if c.timing:
            lines.append(f"  When: {c.timing}")
        lines.append(f"  {c.page}")
    return "\n".join(lines)
