"""bench/load.py's machinery for a few seconds: two instances behind nginx, a handful of calls, one killed.

Not a measurement (benchmarks print figures; see docs/performance.md): it keeps the bench working,
and holds the cluster to its promise under a little load: callers, agents and a supervisor
through nginx, one caller speaking, calls turning over, the first instance killed mid-run, and
then not one logged event lost or duplicated, in the database or at any party.
"""

from __future__ import annotations

from bench.loadgen.check import check_log, read_events, summary
from bench.loadgen.parties import speech_frames
from bench.loadgen.run import Plan, run_load, seed_accounts
from tests.cluster.conftest import ClusterFactory
from tests.harness import SHARED

PLAN = Plan(calls=4, seconds=10.0, call_seconds=4.0, speech_legs=1, supervisors=1, kill_at=5.0)


async def test_a_short_load_with_an_instance_killed_loses_and_repeats_no_logged_event(
    cluster_factory: ClusterFactory,
) -> None:
    cluster = await cluster_factory(2)
    await seed_accounts(cluster.database_url, PLAN.calls, PLAN.supervisors)
    speech = speech_frames(SHARED / "speech-real" / "audio")

    outcome = await run_load(cluster, PLAN, speech)

    log = check_log(await read_events(cluster.database_url), outcome.tally)
    figures = summary(outcome, log, instances=2)
    # A call whose start was answered 502 (its instance died under the request) may exist all the same.
    assert log["calls_logged"] >= outcome.tally.calls_made >= PLAN.calls, figures
    for lost_or_twice in ("seq_gaps", "seq_repeats", "chat_lost", "chat_duplicated", "answers_duplicated", "missed_at_parties"):
        assert log[lost_or_twice] == 0, figures
    # A reply racing the caller's hang-up is refused ("the call has ended"), and never delivered.
    assert figures["delivered_to_other_party"] == len(outcome.tally.sent) - log["chat_refused"] > 0, figures
    assert outcome.killed_at is not None and figures["reconnects"] >= 1 and figures["failed_reconnects"] == 0, figures
    # A hang-up or wrap-up sent again after the kill may find it done already: `conflict`, nothing else.
    assert all(error.startswith("conflict ") for error in outcome.tally.errors), figures
    assert outcome.tally.audio_s > 0, figures
    survivor = figures["instances_use"]["earshot2"]
    assert set(survivor["rss_mb"]) >= {"start", "middle", "end"} and survivor["cores"] > 0, figures
