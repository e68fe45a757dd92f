"""The corpus of user requests (issue 11), each through the HTTP API against the embedded backend.

Each case (``tests/corpus/corpus.yaml``) starts from its own starting state in its own session, sends one
message (or a few), and checks the named facets of the draft, that nothing else changed, and the reply.
Run alone: ``python -m pytest tests/test_agent_corpus.py``; the rates: ``benchmarks/bench_understanding.py``.
"""
from __future__ import annotations

import os

import pytest
from corpus.cases import load
from corpus.media import make_media
from corpus.runner import Ahead, Runner

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

CASES = load()


WORKERS = int(os.environ.get("NEMO_CORPUS_WORKERS", "3"))  # cases running at once (each in its own session)


@pytest.fixture(scope="module")
def ahead(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """Every selected case, started in order a few at a time as soon as the module begins."""
    from nemo_nb.local.server import LocalBackend

    selected = [item.callspec.params["case"] for item in request.session.items
                if item.module is request.module and hasattr(item, "callspec")]
    media = make_media(tmp_path_factory.mktemp("corpus-media"))
    with LocalBackend(tmp_path_factory.mktemp("corpus-backend"), tokens_per_ip=100_000, heartbeat_s=0.5) as b:
        running = Ahead(Runner(b.url, media), selected, WORKERS)
        yield running
        running.close()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_request(ahead: Ahead, case) -> None:
    outcome = ahead.outcome(case)
    if not outcome.understood:
        pytest.fail(outcome.explain(), pytrace=False)
