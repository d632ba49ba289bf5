"""The KPI definitions on hand-built event logs with known answers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from earshot.metrics.kpi import KPI_DEFINITIONS, call_facts
from tests.metrics.calllog import (
    disconnected, ended, facts_input, feedback, heard, queued, reconnected, said, sentiment, started,
    suggestion, wrapped,
)


def facts_of(steps):  # type: ignore[no-untyped-def]
    facts = call_facts("c1", facts_input(steps))
    assert facts is not None
    return facts


def test_a_wrapped_up_call_has_its_wait_talk_wrap_and_first_response() -> None:
    facts = facts_of([
        queued(), started(12), said(15, "customer"), said(19, "customer"), heard(21.5, "agent"),
        said(30, "customer"), ended(72), wrapped(102, "resolved"),
    ])
    assert facts.handled and not facts.abandoned
    assert facts.wait_s == 12
    assert facts.talk_s == 60
    assert facts.wrap_s == 30
    assert facts.handle_s == 90
    assert facts.first_response_s == 6.5
    assert facts.disposition == "resolved"
    assert facts.agent_id == 1


def test_a_transferred_call_keeps_its_first_answer_and_counts_for_the_agent_who_finished_it() -> None:
    transferred = (40, "call_transferred", {"from_agent_id": 1, "from_agent_name": "Agent 1", "to": "queue"})
    facts = facts_of([
        queued(), started(12, agent_id=1), transferred, started(55, agent_id=2), ended(100), wrapped(110),
    ])
    assert facts.wait_s == 12  # the caller was answered once, at 12 s
    assert facts.talk_s == 88 and facts.handle_s == 98  # the whole call, both agents and the time between
    assert facts.agent_id == 2


def test_a_call_hung_up_in_queue_is_abandoned_and_not_handled() -> None:
    facts = facts_of([queued(), ended(40, "abandoned")])
    assert facts.abandoned and not facts.handled
    assert facts.wait_s == 40
    assert facts.talk_s is None and facts.handle_s is None and facts.agent_id is None


def test_a_customer_dropped_while_waiting_is_abandoned_too() -> None:
    assert facts_of([queued(), ended(31, "dropped", "system")]).abandoned


def test_a_call_ended_by_shutdown_before_an_answer_is_neither_handled_nor_abandoned() -> None:
    facts = facts_of([queued(), ended(5, "shutdown", "system")])
    assert not facts.abandoned and not facts.handled


def test_a_call_dropped_after_the_answer_is_handled_not_abandoned() -> None:
    facts = facts_of([queued(), started(3), disconnected(20, "customer"), ended(50, "dropped", "system")])
    assert facts.handled and not facts.abandoned
    assert facts.talk_s == 47


def test_reconnects_are_counted_and_do_not_change_the_timings() -> None:
    facts = facts_of([
        queued(), started(2), said(4, "customer"), disconnected(5, "agent"), reconnected(9, "agent"),
        said(10, "agent"), ended(20), wrapped(25),
    ])
    assert facts.reconnects == 1
    assert facts.first_response_s == 6
    assert facts.handle_s == 23


def test_a_call_not_wrapped_up_yet_has_no_handle_time_or_disposition() -> None:
    facts = facts_of([queued(), started(1), ended(61)])
    assert facts.handled and facts.talk_s == 60
    assert facts.wrap_s is None and facts.handle_s is None and facts.disposition is None


def test_a_call_spanning_midnight_keeps_its_full_length() -> None:
    start = datetime(2026, 11, 2, 23, 58, tzinfo=UTC)
    facts = call_facts("c1", facts_input([queued(), started(60), ended(300), wrapped(330)], start))
    assert facts is not None and facts.queued_at == start
    assert facts.talk_s == 240 and facts.handle_s == 270


def test_an_agent_line_before_the_customer_speaks_is_no_response() -> None:
    facts = facts_of([queued(), started(1), said(2, "agent"), said(5, "customer"), said(9, "agent"), ended(10)])
    assert facts.first_response_s == 4


def test_no_agent_reply_means_no_first_response_time() -> None:
    assert facts_of([queued(), started(1), said(2, "customer"), ended(10)]).first_response_s is None


def test_sentiment_averages_and_the_last_label_decides_a_negative_ending() -> None:
    facts = facts_of([queued(), started(1), sentiment(2, 0.5), sentiment(3, -0.2), sentiment(4, -0.6), ended(5)])
    assert facts.sentiment_count == 3 and facts.sentiment_sum == pytest.approx(-0.3)
    assert facts.ended_negative
    assert not facts_of([queued(), started(1), sentiment(2, -0.9), sentiment(3, 0.4), ended(5)]).ended_negative


def test_the_last_feedback_on_a_suggestion_counts_and_the_first_suggestion_gives_the_reason() -> None:
    facts = facts_of([
        queued(), started(1), suggestion(2, "s1", "track_order"), suggestion(3, "s2", "offer_refund"),
        suggestion(4, "s3", "close_call"), feedback(5, "s1", False), feedback(6, "s1", True), feedback(7, "s2", False),
        ended(8),
    ])
    assert (facts.suggestions, facts.suggestions_rated, facts.suggestions_accepted) == (3, 2, 1)
    assert facts.reason == "track_order"


def test_a_log_without_call_queued_has_no_facts() -> None:
    assert call_facts("c1", facts_input([started(1), ended(2)])) is None


def test_every_summary_kpi_has_one_definition() -> None:
    keys = {
        "calls_handled", "calls_abandoned", "service_level", "average_speed_of_answer_s", "average_handle_time_s",
        "first_response_time_s", "resolution_rate", "abandonment_rate", "average_sentiment", "negative_call_share",
        "suggestion_acceptance_rate", "utilization",
    }
    assert keys <= set(KPI_DEFINITIONS)
    assert all(d.definition and d.label for d in KPI_DEFINITIONS.values())
