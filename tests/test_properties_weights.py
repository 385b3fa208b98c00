"""Weights, however they are typed: non-finite or absurd weights exit 2 with the accepted form; any accepted
weights give finite scores in 0..1 and valid JSON (property-based, in process)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisor.knowledge import Knowledge
from advisor.knowledge.ranking import FACTOR_BY_NAME, MAX_WEIGHT, RankingInputError, check_weights, rank_fields

RunCli = Callable[..., tuple[int, str, str]]
FACTORS = sorted(FACTOR_BY_NAME)
BOUNDED = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400", "Infinity", "1001", "1e300", "-1", "NaN"])
def test_non_finite_and_absurd_weights_exit_2_with_the_accepted_form(value: str, run_cli: RunCli) -> None:
    code, out, err = run_cli("rank", "--weights", f"feedback_quality={value}", "--json")
    assert code == 2 and out == ""
    assert "FACTOR=NUMBER" in err and f"0 to {MAX_WEIGHT:g}" in err and "Traceback" not in err


@pytest.mark.parametrize("weights", [{"feedback_quality": float("nan")}, {"economic_incentive": float("inf")},
                                     {"research_taste": 1e308}, {"human_interaction": -0.5}])
def test_tools_get_the_same_checks(weights: dict[str, float]) -> None:
    with pytest.raises(RankingInputError, match="FACTOR=NUMBER"):
        check_weights(weights)


def test_extreme_but_allowed_weights_keep_the_ranking_meaningful(knowledge: Knowledge) -> None:
    huge = rank_fields(knowledge, {f: MAX_WEIGHT for f in FACTORS})
    plain = rank_fields(knowledge, {f: 1.0 for f in FACTORS})
    assert [f.id for f in huge.fields] == [f.id for f in plain.fields]  # only ratios matter
    assert [f.score for f in huge.fields] == pytest.approx([f.score for f in plain.fields])
    tiny = rank_fields(knowledge, {"feedback_quality": 5e-324, "economic_incentive": 0, "research_taste": 0,
                                   "human_interaction": 0})
    assert max(f.score for f in tiny.fields) == pytest.approx(1.0)  # not all zero: the denormal weight counts


_weight_text = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(min_value=0, max_value=2 * MAX_WEIGHT).map(lambda x: f"{x:g}"),
    st.sampled_from(["nan", "inf", "1e400", "-0", "0", "1_000", "０", "", " 3 ", "1e-320", "0x10"]),
    st.text(max_size=8),
)
_weights_arg = st.lists(st.tuples(st.sampled_from([*FACTORS, "speed", ""]), _weight_text), max_size=5).map(
    lambda pairs: ",".join(f"{name}={value}" for name, value in pairs))


@BOUNDED
@given(weights=st.one_of(_weights_arg, st.text(max_size=30)))
def test_any_weights_string_gives_valid_json_or_exit_2(weights: str, run_cli: RunCli) -> None:
    # "--weights=VALUE": a value that starts with "-" would otherwise be read by argparse as another option
    code, out, err = run_cli("rank", f"--weights={weights}", "--json")
    assert "Traceback" not in err
    if code == 2:
        assert out == "" and "advisor: error:" in err
        return
    assert code == 0, err
    rows = json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in JSON output"))
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert all(math.isfinite(r["score"]) and 0 <= r["score"] <= 1 for r in rows)
