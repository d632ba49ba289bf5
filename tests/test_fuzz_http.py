"""Fuzzing the HTTP API from its own OpenAPI schema: no input, valid or not, gets a server error.

Schemathesis generates requests for every operation (bodies, path and query parameters,
both conforming and deliberately broken), sent as the admin to a real server. The budget is
fixed and the generation derandomized, so CI runs the same cases every time in under a minute.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from tests.harness import RunningServer

log = logging.getLogger(__name__)

EXAMPLES_PER_OPERATION = 12
SKIPPED = {("POST", "/api/auth/logout")}  # would end the fuzzing session's own login


def fuzz(base_url: str, token: str) -> Counter[str]:
    """Run the fuzzer; returns how many cases each operation and outcome got ("5xx" must stay absent)."""
    openapi = httpx.get(f"{base_url}/openapi.json").json()
    schema = schemathesis.openapi.from_dict(openapi)
    tally: Counter[str] = Counter()
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def one(case: Any) -> None:
                response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10)
                tally["cases"] += 1
                if response.status_code >= 500:
                    tally["5xx"] += 1
                    failures.append(f"{case.method} {case.formatted_path} {case.query} {case.body!r} -> {response.status_code}")

            try:
                one()
            except Unsatisfiable:
                pass  # nothing to break in this operation (no parameters, no body)
    assert not failures, "server errors:\n" + "\n".join(failures[:20])
    return tally


async def test_no_generated_request_gets_a_server_error(shop: RunningServer) -> None:
    token = await shop.login("admin")
    tally = await asyncio.to_thread(fuzz, shop.base_url, token)
    log.warning("HTTP fuzzing: %d cases, %d server errors", tally["cases"], tally["5xx"])
    assert tally["cases"] >= 17 * EXAMPLES_PER_OPERATION  # every operation got its cases
    async with shop.http(token) as http:
        assert (await http.get("/api/health")).json()["status"] == "ok"
        assert (await http.get("/api/auth/me")).status_code == 200
