"""Property-based: schemathesis generates requests, valid and malformed, from the app's own OpenAPI document;
none may get a 5xx, and every answer must match the documented status codes, content types and schemas.
Bounded: a fixed number of examples per operation and mode, derandomised, no shrinking; a few seconds."""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from advisor.knowledge import Knowledge
from tests.api_server import api_settings, offline_app

EXAMPLES = 20


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])
def test_no_generated_request_makes_the_api_fail(tmp_path: Path, indexed_home: Path, knowledge: Knowledge,
                                                 mode: schemathesis.GenerationMode) -> None:
    app_settings = api_settings(tmp_path / "home", indexed_home, ADVISOR_API_MAX_BODY="65536")
    schema = schemathesis.openapi.from_asgi("/v1/openapi.json", offline_app(app_settings, knowledge))
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.label for op in operations} >= {"POST /v1/chat/completions", "GET /v1/models"}
    seen: dict[int, int] = {}
    for operation in operations:
        if mode == schemathesis.GenerationMode.NEGATIVE and not len(operation.body) + len(operation.headers):
            continue  # no body or header to malform (any string is a valid model id in a path)

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            response = case.call()
            seen[response.status_code] = seen.get(response.status_code, 0) + 1
            assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text}"
            case.validate_response(response)

        check()
    assert 200 in seen if mode == schemathesis.GenerationMode.POSITIVE else 400 in seen
