"""The token bucket and the cost of audio frames, alone, on a fake clock."""

from __future__ import annotations

import pytest

from earshot.calls.limits import TokenBucket, audio_seconds


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_full_bucket_lets_a_burst_through_then_refuses() -> None:
    bucket = TokenBucket(capacity=5, rate=1, clock=FakeClock())
    assert [bucket.take() for _ in range(6)] == [True] * 5 + [False]


def test_tokens_come_back_at_the_rate_and_never_above_capacity() -> None:
    clock = FakeClock()
    bucket = TokenBucket(capacity=5, rate=2, clock=clock)
    for _ in range(5):
        bucket.take()
    clock.now += 1.0
    assert bucket.tokens == pytest.approx(2)
    clock.now += 60
    assert bucket.tokens == pytest.approx(5)


def test_a_refused_cost_spends_nothing() -> None:
    bucket = TokenBucket(capacity=1.0, rate=1, clock=FakeClock())
    assert not bucket.take(1.5)
    assert bucket.take(1.0)


def test_sustained_rate_cannot_exceed_the_refill_rate() -> None:
    # 20 ms audio frames sent at twice real time against a budget of 1.5x with a 2 s burst:
    # after the burst, a quarter of the frames are refused.
    clock = FakeClock()
    bucket = TokenBucket(capacity=2.0, rate=1.5, clock=clock)
    accepted = 0
    for _ in range(1000):  # 20 s of audio in 10 s
        accepted += bucket.take(0.02)
        clock.now += 0.01
    seconds_accepted = accepted * 0.02
    assert seconds_accepted == pytest.approx(2.0 + 1.5 * 10, abs=0.05)


def test_real_time_audio_is_never_refused() -> None:
    clock = FakeClock()
    bucket = TokenBucket(capacity=2.0, rate=1.5, clock=clock)
    for _ in range(50 * 600):  # ten minutes of 20 ms frames
        assert bucket.take(0.02)
        clock.now += 0.02


def test_bucket_needs_positive_numbers() -> None:
    with pytest.raises(ValueError):
        TokenBucket(capacity=0, rate=1)
    with pytest.raises(ValueError):
        TokenBucket(capacity=1, rate=0)


@pytest.mark.parametrize(
    ("audio_format", "nbytes", "seconds"),
    [("pcm16", 640, 0.02), ("mulaw", 160, 0.02), ("webm", 32000, 1.0)],
)
def test_audio_frames_cost_their_duration(audio_format: str, nbytes: int, seconds: float) -> None:
    assert audio_seconds(audio_format, nbytes) == pytest.approx(seconds)
