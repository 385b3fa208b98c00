"""`advisor train`: rebuilds the intent router's weights (`knowledge/router.npy` and `router.json`) from
`knowledge/intents.yaml` and the tuning parts of `evals/`, printing leave-one-part-out accuracy over the tuning
parts and, for information, accuracy on each held-out part; `--check` only says whether the shipped weights
are stale."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from advisor.errors import InputError
from advisor.interfaces.terminal import table
from advisor.settings import PROJECT_ROOT


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="rebuild the intent router from knowledge/intents.yaml and the tuning parts")
    p.add_argument("--knowledge", type=Path, default=None, metavar="DIR",
                   help="the folder with intents.yaml, where the weights are written (default: the knowledge "
                        "folder in use)")
    p.add_argument("--cases", type=Path, default=PROJECT_ROOT / "evals", metavar="DIR",
                   help="the folder with the tuning and held-out parts (default: evals/)")
    p.add_argument("--out", type=Path, default=None, metavar="DIR",
                   help="write router.npy and router.json here instead of the knowledge folder")
    p.add_argument("--check", action="store_true",
                   help="train nothing: exit 1 when the shipped weights are stale against their data")
    p.set_defaults(handler=cmd_train)


def _figure(hits: tuple[int, int]) -> str:
    return f"{hits[0] / hits[1]:.3f} ({hits[0]}/{hits[1]})" if hits[1] else "-"


def cmd_train(args: argparse.Namespace) -> int:
    from advisor.chat.offline.train import freshness, pooled, train
    from advisor.settings import load_settings

    knowledge = args.knowledge or load_settings().knowledge_dir
    if not (knowledge / "intents.yaml").is_file():
        raise InputError(f"no intents.yaml in {knowledge}; pass --knowledge DIR")
    if args.check:
        today, stored = freshness(knowledge, args.cases)
        if today != stored:
            print(f"The router in {knowledge} is stale against its data: run `advisor train` (or `make train`).")
            return 1
        print(f"The router in {knowledge} is up to date (data sha256 {today[:12]}…).")
        return 0
    try:
        import sklearn  # noqa: F401
    except ImportError as exc:
        raise InputError("training needs scikit-learn: pip install -e '.[dev]'") from exc
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    report = train(knowledge, args.cases, args.out, progress=lambda s: print(s, file=sys.stderr))
    s = report.setting
    print(f"Chose C={s.C:g}, cue weight {s.cue_scale:g}, class weights {s.class_weight or 'none'} "
          f"(pooled leave-one-part-out accuracy over the tuning parts; best of {len(report.grid)} settings).")
    print("\nLeave-one-part-out (fit on intents.yaml and the other tuning parts, test on the part left out):")
    rows = [[part, _figure(hits)] for part, hits in report.lopo.items()]
    total = (sum(c for c, _ in report.lopo.values()), sum(n for _, n in report.lopo.values()))
    print(table(["tuning part", "intent accuracy"], [*rows, ["pooled", _figure(total)]]))
    if report.newer_types[1]:
        print(f"\nAnswer types no tuning part has yet, 5-fold over intents.yaml: {_figure(report.newer_types)}")
    if report.heldout:
        print("\nHeld-out parts (for information only: never fitted on, never used to choose a setting):")
        total = (sum(c for c, _ in report.heldout.values()), sum(n for _, n in report.heldout.values()))
        print(table(["held-out part", "intent accuracy"],
                    [*([p, _figure(h)] for p, h in report.heldout.items()), ["pooled", _figure(total)]]))
    print(f"\nTrained on {report.examples} messages (data sha256 {report.data_sha256[:12]}…); LOPO pooled "
          f"{pooled(report.lopo):.3f}. Wrote {', '.join(str(p) for p in report.written)}.")
    return 0
