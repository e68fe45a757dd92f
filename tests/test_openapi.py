"""The OpenAPI document describes what the backend serves, and schemathesis holds it to that (issue 12).

Every operation is fuzzed against a live embedded backend over loopback, then stateful scenarios follow the
document's links (session → upload / state / message / claim / render → status / cancel / download).
Checks: no 5xx, status codes, content types, headers and bodies as documented. The number of cases run is
printed at the end (run with ``-s`` to see it); ``NEMO_NB_FUZZ_EXAMPLES`` sets the examples per operation.
"""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from rawapi import RawApi
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from nemo_nb.local.app import create_app
from nemo_nb.local.openapi import document
from nemo_nb.local.server import LocalBackend
from nemo_nb.local.settings import BackendSettings

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, ignored_auth]
STATEFUL_CHECKS = [*CHECKS, use_after_free, ensure_resource_availability]
EXAMPLES_PER_OPERATION = int(os.environ.get("NEMO_NB_FUZZ_EXAMPLES", "40"))
HUNT = "NEMO_NB_FUZZ_EXAMPLES" in os.environ  # a longer hunt draws new cases each time; CI repeats the same ones
FUZZ = settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=not HUNT, database=None,
                suppress_health_check=list(HealthCheck))
CASES: Counter[str] = Counter()


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory):
    """A backend for the fuzzer: many credits, tight budgets and limits, so random work stays small."""
    with LocalBackend(tmp_path_factory.mktemp("fuzzed"), tokens_per_ip=10**6, credits=10**6, heartbeat_s=0.2,
                      url_timeout_s=2, turn_wall_s=15, render_wall_s=10, render_cpu_s=20, max_render_s=5,
                      max_render_pixel_seconds=1920 * 1080 * 1.0) as b:
        yield b
    total = sum(CASES.values())
    print(f"\nschemathesis: {total} cases over {len(CASES)} operations: "
          + ", ".join(f"{op} {n}" for op, n in sorted(CASES.items())))


@pytest.fixture(scope="module")
def auth_headers(fuzzed) -> dict[str, str]:
    api = RawApi(fuzzed.url)
    api.login()
    headers = api.headers()
    api.close()
    return headers


# The document itself (the served one is checked to be the same): loaded at import, no server needed.
schema = schemathesis.openapi.from_dict(document())


def test_the_document_is_served_and_names_every_route(backend, tmp_path: Path):
    served = httpx.get(f"{backend.url}/openapi.json").json()
    assert served["openapi"].startswith("3.1") and served["servers"] == [{"url": backend.url}]
    assert {k: v for k, v in served.items() if k != "servers"} == document()
    documented = {(path, method.upper()) for path, ops in served["paths"].items() for method in ops}
    app = create_app(BackendSettings(), tmp_path)
    routed = {(route.path, method) for route in app.routes for method in (route.methods or set()) - {"HEAD"}}
    assert documented == routed


def test_every_error_code_of_the_backend_is_documented_with_its_status():
    from nemo_nb.local.errors import HTTP_STATUS

    doc = document()
    statuses = {int(status) for ops in doc["paths"].values() for op in ops.values() for status in op["responses"]}
    assert set(HTTP_STATUS.values()) <= statuses


@pytest.mark.slow
@schema.parametrize()
@FUZZ
def test_every_operation_answers_as_documented(case: Any, fuzzed, auth_headers: dict[str, str]):
    CASES[case.operation.label] += 1
    case.call_and_validate(base_url=fuzzed.url, headers=auth_headers, checks=CHECKS, timeout=60)


@pytest.mark.slow
@pytest.mark.timeout(max(300, EXAMPLES_PER_OPERATION * 8))
def test_stateful_scenarios_follow_the_links(fuzzed, auth_headers: dict[str, str]):
    base = schemathesis.openapi.from_url(f"{fuzzed.url}/openapi.json").as_state_machine()

    class Scenarios(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": auth_headers, "timeout": 60}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            CASES[f"stateful {case.operation.label}"] += 1
            case.validate_response(response, checks=STATEFUL_CHECKS, transport_kwargs=kwargs or None)

    Scenarios.run(settings=settings(FUZZ, max_examples=EXAMPLES_PER_OPERATION * 3 // 2, stateful_step_count=6))
    assert any(op.startswith("stateful GET /api/state") for op in CASES)


def test_fuzzing_reached_every_operation():
    """Runs after the fuzzing above (file order): each documented operation got cases."""
    labels = {f"{method.upper()} {path}" for path, ops in document()["paths"].items() for method in ops}
    fuzzed = {label for label in CASES if not label.startswith("stateful ")}
    if not fuzzed:
        pytest.skip("run with the fuzzing tests")
    assert labels <= fuzzed, labels - fuzzed


def test_the_fuzzer_left_the_backend_healthy(fuzzed, tmp_path: Path):
    assert httpx.get(f"{fuzzed.url}/").status_code == 200
