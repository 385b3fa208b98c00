"""Retrieval quality on the question set (tests/retrieval_questions.yaml): recall@5, MRR@10 and nDCG@5,
computed with ranx, for the product's hybrid search and for each of its two halves alone.

The three systems search the same freshly built index with the same kind/field filters:
- hybrid: `Retriever.search` as shipped (dense + BM25 fused by reciprocal rank, one hit per passage).
  The @5 metrics use `search(k=5)` (the CLI default); MRR@10 uses `search(k=10)`. The two can differ,
  because `search` fetches a pool of max(20, 4k) candidates from each half before fusing.
- dense: the retriever's own dense half, `Retriever._dense` (MiniLM query vector, Chroma cosine search).
- lexical: the retriever's own BM25 half, `Retriever._lexical_index().search`, with the same kind/field mask
  that `search` builds.
Both halves fetch 40 candidates and are then cut to one hit per passage, as `search` does.
It also prints a fusion study (the two halves' passage lists re-fused with other RRF settings) and the hybrid
misses, each with the missing passage's rank in hybrid@10 / dense / lexical.

Run from the repository root:  .venv/bin/python benchmarks/quality.py  (add --jit to use numba's JIT in ranx)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from advisor.search.retrieve import Retriever

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python benchmarks/quality.py` puts benchmarks/, not the root, on the path
    sys.path.insert(0, str(ROOT))
QUESTIONS = ROOT / "tests" / "retrieval_questions.yaml"
SYSTEMS = ("hybrid", "dense", "lexical")
METRICS = ("recall@5", "mrr@10", "ndcg@5")
DEPTH = 10  # results kept per query (MRR@10)
POOL = 40  # candidates a single half fetches before being cut to one hit per passage
QUESTION_KEYS = {"id", "question", "relevant", "kinds", "field"}


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    relevant: tuple[str, ...]
    kinds: tuple[str, ...] = ()
    field: str | None = None

    @property
    def group(self) -> str:
        """The part of the knowledge base it is about, from its id prefix: essay, field, reading, assess."""
        return self.id.split("-", 1)[0]


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    """The question set; a malformed entry fails with the file, the question and what is wrong."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: list[Question] = []
    for n, raw in enumerate(data["questions"], 1):
        where = f"{path}: question {n} ({raw.get('id', '?')})"
        extra = set(raw) - QUESTION_KEYS
        missing = {"id", "question", "relevant"} - set(raw)
        if extra or missing:
            raise ValueError(f"{where}: unknown keys {sorted(extra)}, missing keys {sorted(missing)}")
        q = Question(str(raw["id"]), str(raw["question"]), tuple(str(r) for r in raw["relevant"]),
                     tuple(raw.get("kinds") or ()), raw.get("field"))
        if not 1 <= len(q.relevant) <= 3 or len(set(q.relevant)) != len(q.relevant):
            raise ValueError(f"{where}: `relevant` must list 1-3 distinct passage ids, got {list(q.relevant)}")
        if any(q.id == other.id for other in out):
            raise ValueError(f"{where}: duplicate id {q.id!r}")
        out.append(q)
    return out


def build_retriever(home: Path) -> Retriever:
    """A retriever over a new index of the shipped knowledge base under `home` (not the process env)."""
    from advisor.search.retrieve import open_retriever
    from advisor.settings import load_settings

    r = open_retriever(load_settings({"ADVISOR_HOME": str(home)}))
    r.sync_knowledge()
    return r


def _lexical_mask(metas: list[dict[str, Any]], kinds: np.ndarray, wanted: Sequence[str],
                  field_id: str | None) -> np.ndarray | None:
    """The BM25 weight mask, built exactly as `Retriever.search` builds it."""
    import numpy as np

    if not wanted and not field_id:
        return None
    keep = np.ones(len(metas), dtype=bool)
    if wanted:
        keep &= np.isin(kinds, list(wanted))
    if field_id:
        keep &= np.array([bool(m.get(f"field__{field_id}")) for m in metas])
    return keep.astype(np.float32)


def _one_per_passage(metas: Iterable[dict[str, Any]], depth: int) -> list[str]:
    out: list[str] = []
    for meta in metas:
        passage = str(meta.get("passage_id"))
        if passage not in out:
            out.append(passage)
        if len(out) == depth:
            break
    return out


def ranked(r: Retriever, q: Question, system: str, depth: int = DEPTH) -> list[str]:
    """The passage ids one system returns for a question, best first, at most `depth`."""
    kinds = list(q.kinds) or None
    if system == "hybrid":
        return [h.passage_id for h in r.search(q.question, k=depth, kinds=kinds, field=q.field)]
    field_id = r.knowledge.field(q.field).id if q.field else None
    r.ensure_ready()
    if system == "dense":
        return _one_per_passage((meta for _, _, meta in r._dense(q.question, POOL, kinds, field_id)), depth)
    if system == "lexical":
        lexical = r._lexical_index()
        mask = _lexical_mask(lexical.metas, lexical.kinds, q.kinds, field_id)
        return _one_per_passage((lexical.metas[i] for i in lexical.search(q.question, POOL, mask)), depth)
    raise ValueError(f"unknown system {system!r}; use one of {', '.join(SYSTEMS)}")


_ranx_without_jit: bool | None = None  # how this module imported ranx (None: not yet, or imported elsewhere)


@contextlib.contextmanager
def ranx_module(jit: bool = False) -> Iterator[Any]:
    """ranx, by default with numba's JIT off while it is imported and used.

    Compiling its kernels takes about 30 s on a cold numba cache (a clean CI venv) and loading them from a warm
    cache a few seconds, while the pure-Python path scores this question set in milliseconds, with the same
    numbers. ranx checks numba's DISABLE_JIT when it builds its typed lists too, so it stays off inside the
    block. A ranx imported elsewhere (with JIT) is used as it is.
    """
    global _ranx_without_jit
    if "ranx" in sys.modules and _ranx_without_jit is None:
        jit = True
    elif _ranx_without_jit is not None:
        jit = not _ranx_without_jit
    from numba import config as numba_config

    config: Any = numba_config  # its settings are set from the environment at run time, unknown to mypy
    saved = config.DISABLE_JIT
    config.DISABLE_JIT = not jit
    try:
        import ranx

        _ranx_without_jit = not jit
        yield ranx
    finally:
        config.DISABLE_JIT = saved


@dataclass
class QualityReport:
    questions: list[Question]
    top: dict[str, dict[str, list[str]]]  # system -> question id -> passage ids; "hybrid" from search(k=10)
    top5: dict[str, list[str]]  # question id -> passage ids from search(k=5), the shipped default
    deep: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # dense/lexical, up to POOL passages
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # system -> metric -> mean
    per_question: dict[str, dict[str, list[float]]] = field(default_factory=dict)  # system -> metric -> values
    fusion: dict[str, dict[str, float]] = field(default_factory=dict)  # fusion variant -> metric -> mean
    timings: dict[str, float] = field(default_factory=dict)  # seconds

    def misses(self, system: str = "hybrid") -> list[Question]:
        """Questions for which the system did not return every relevant passage in its top 5."""
        return [q for q, v in zip(self.questions, self.per_question[system]["recall@5"], strict=True) if v < 1]

    def group_recall(self, system: str) -> dict[str, float]:
        groups: dict[str, list[float]] = {}
        for q, v in zip(self.questions, self.per_question[system]["recall@5"], strict=True):
            groups.setdefault(q.group, []).append(v)
        return {g: sum(vs) / len(vs) for g, vs in groups.items()}


def _run(ranx: Any, rankings: dict[str, list[str]]) -> Any:
    # Rank-based scores keep each system's own order exactly (fused scores can tie).
    return ranx.Run({qid: {pid: float(POOL - i) for i, pid in enumerate(pids)} for qid, pids in rankings.items()})


def score_rankings(ranx: Any, qrels: Any, questions: Sequence[Question], at5: dict[str, list[str]],
           at10: dict[str, list[str]]) -> dict[str, list[float]]:
    """Per-question recall@5 and nDCG@5 of `at5`, MRR@10 of `at10`, in question order (ranx evaluates in its own
    order and keeps the values, keyed by query id, in `run.scores`)."""
    out: dict[str, list[float]] = {}
    for rankings, metrics in ((at5, ["recall@5", "ndcg@5"]), (at10, ["mrr@10"])):
        run = _run(ranx, rankings)
        ranx.evaluate(qrels, run, metrics, save_results_in_run=True)
        out.update({m: [float(run.scores[m][q.id]) for q in questions] for m in metrics})
    return {m: out[m] for m in METRICS}


# Re-fusions of the dense and lexical passage lists: (RRF constant, candidates taken from each half).
# The first approximates the product (RRF_K=60, pool=max(20, 4k)); the others are candidate fixes.
FUSIONS = ((60, 20), (60, 10), (60, 5), (20, 20), (10, 20), (5, 20), (10, 10))


def rrf(rankings: Sequence[list[str]], constant: int, pool: int, depth: int = DEPTH) -> list[str]:
    """Reciprocal-rank fusion at passage level of the first `pool` items of each ranking."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, pid in enumerate(ranking[:pool]):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (constant + rank + 1)
    return sorted(fused, key=lambda p: -fused[p])[:depth]


def measure(r: Retriever, questions: Sequence[Question], jit: bool = False) -> QualityReport:
    """Run every question through the three systems (and the fusion variants) and score them with ranx."""
    report = QualityReport(list(questions), {}, {})
    start = time.perf_counter()
    report.top5 = {q.id: ranked(r, q, "hybrid", depth=5) for q in questions}
    report.top["hybrid"] = {q.id: ranked(r, q, "hybrid") for q in questions}
    for system in ("dense", "lexical"):
        report.deep[system] = {q.id: ranked(r, q, system, depth=POOL) for q in questions}
        report.top[system] = {qid: pids[:DEPTH] for qid, pids in report.deep[system].items()}
    report.timings["queries"] = time.perf_counter() - start

    start = time.perf_counter()
    with ranx_module(jit) as ranx:
        report.timings["ranx import"] = time.perf_counter() - start
        start = time.perf_counter()
        qrels = ranx.Qrels({q.id: dict.fromkeys(q.relevant, 1) for q in questions})
        for system in SYSTEMS:
            at5 = report.top5 if system == "hybrid" else report.top[system]
            report.per_question[system] = score_rankings(ranx, qrels, questions, at5, report.top[system])
            report.scores[system] = {m: sum(vs) / len(vs) for m, vs in report.per_question[system].items()}
        for constant, pool in FUSIONS:
            fused = {q.id: rrf([report.deep["dense"][q.id], report.deep["lexical"][q.id]], constant, pool)
                     for q in questions}
            values = score_rankings(ranx, qrels, questions, fused, fused)
            report.fusion[f"RRF k={constant}, {pool} per half"] = {m: sum(v) / len(v) for m, v in values.items()}
        report.timings["ranx evaluate"] = time.perf_counter() - start
    return report


def _rank_of(pid: str, ranking: list[str]) -> str:
    return str(ranking.index(pid) + 1) if pid in ranking else "-"


def print_report(report: QualityReport, all_misses: bool = False) -> None:
    groups = sorted({q.group for q in report.questions})
    counts = {g: sum(q.group == g for q in report.questions) for g in groups}
    print(f"\n{len(report.questions)} questions ({', '.join(f'{counts[g]} {g}' for g in groups)})\n")
    header = f"{'system':<9}" + "".join(f"{m:>10}" for m in METRICS) + "".join(f"{'R@5 ' + g:>14}" for g in groups)
    print(header)
    print("-" * len(header))
    for system in SYSTEMS:
        by_group = report.group_recall(system)
        print(f"{system:<9}" + "".join(f"{report.scores[system][m]:>10.3f}" for m in METRICS)
              + "".join(f"{by_group[g]:>14.3f}" for g in groups))
    differ = [q.id for q in report.questions if report.top5[q.id] != report.top["hybrid"][q.id][:5]]
    print(f"\nhybrid: top 5 of search(k=5) differs from the top 5 of search(k=10) for {len(differ)} question(s)"
          + (f": {', '.join(differ)}" if differ else ""))

    print("\nfusion study: the dense and lexical passage lists re-fused at passage level (first row ~ product)")
    for name, values in report.fusion.items():
        print(f"  {name:<26}" + "".join(f"{values[m]:>10.3f}" for m in METRICS))

    for system in SYSTEMS if all_misses else ("hybrid",):
        misses = report.misses(system)
        print(f"\n{system} misses at 5 ({len(misses)}): relevant id [rank in hybrid@10 / dense / lexical]")
        for q in misses:
            top5 = report.top5[q.id] if system == "hybrid" else report.top[system][q.id][:5]
            print(f"- {q.id}: {q.question!r}" + (f" kinds={list(q.kinds)}" if q.kinds else "")
                  + (f" field={q.field}" if q.field else ""))
            for pid in q.relevant:
                if pid not in top5:
                    where = " / ".join(_rank_of(pid, report.top[s][q.id]) for s in SYSTEMS)
                    print(f"    missing {pid} [{where}]")
            print(f"    got: {', '.join(top5)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=QUESTIONS, help="question set (default: %(default)s)")
    parser.add_argument("--jit", action="store_true", help="let ranx use numba's JIT (slow first compile)")
    parser.add_argument("--all-misses", action="store_true", help="list misses of every system, not only hybrid")
    args = parser.parse_args(argv)
    os.environ["ANONYMIZED_TELEMETRY"] = "False"

    questions = load_questions(args.questions)
    with tempfile.TemporaryDirectory(prefix="advisor-quality-") as home:
        start = time.perf_counter()
        r = build_retriever(Path(home))
        build = time.perf_counter() - start
        r.search("warm-up: load the model and build BM25", k=5)
        report = measure(r, questions, jit=args.jit)
        r.index.close()
    report.timings = {"index build": build, **report.timings}
    print_report(report, all_misses=args.all_misses)
    per_query = report.timings["queries"] / (len(questions) * (len(SYSTEMS) + 1))
    print("\ntimings: " + ", ".join(f"{k} {v:.2f} s" for k, v in report.timings.items())
          + f" ({per_query * 1000:.1f} ms per query)" + (" [ranx with numba JIT]" if args.jit else " [ranx, no JIT]"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
