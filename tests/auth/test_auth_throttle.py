"""The login throttle, driven by a fake clock."""

from __future__ import annotations

from earshot.auth.throttle import LoginThrottle, throttle_key


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _throttle(clock: FakeClock, max_keys: int = 100) -> LoginThrottle:
    return LoginThrottle(3, 60, clock=clock, max_keys=max_keys)


def test_key_is_locked_after_max_failures_for_the_lockout() -> None:
    clock = FakeClock()
    throttle = _throttle(clock)
    key = throttle_key("Alex", "10.0.0.1")
    for _ in range(2):
        throttle.failed_now(key)
        assert throttle.check_now(key) is None
    throttle.failed_now(key)
    assert throttle.check_now(key) == 60
    clock.now += 45
    assert throttle.check_now(key) == 15
    clock.now += 15
    assert throttle.check_now(key) is None


def test_username_case_does_not_give_extra_attempts() -> None:
    throttle = _throttle(FakeClock())
    for name in ["alex", "ALEX", "Alex"]:
        throttle.failed_now(throttle_key(name, "10.0.0.1"))
    assert throttle.check_now(throttle_key("alex", "10.0.0.1")) is not None


def test_other_address_or_username_is_not_locked() -> None:
    throttle = _throttle(FakeClock())
    for _ in range(3):
        throttle.failed_now(throttle_key("alex", "10.0.0.1"))
    assert throttle.check_now(throttle_key("alex", "10.0.0.2")) is None
    assert throttle.check_now(throttle_key("blake", "10.0.0.1")) is None


def test_failures_older_than_the_window_do_not_count() -> None:
    clock = FakeClock()
    throttle = _throttle(clock)
    key = throttle_key("alex", "10.0.0.1")
    throttle.failed_now(key)
    throttle.failed_now(key)
    clock.now += 61
    throttle.failed_now(key)
    assert throttle.check_now(key) is None


def test_success_forgets_earlier_failures() -> None:
    throttle = _throttle(FakeClock())
    key = throttle_key("alex", "10.0.0.1")
    throttle.failed_now(key)
    throttle.failed_now(key)
    throttle.succeeded_now(key)
    throttle.failed_now(key)
    throttle.failed_now(key)
    assert throttle.check_now(key) is None


def test_stale_entries_are_dropped() -> None:
    clock = FakeClock()
    throttle = _throttle(clock)
    for i in range(50):
        throttle.failed_now(throttle_key(f"user{i}", "10.0.0.1"))
    assert len(throttle) == 50
    clock.now += 61
    throttle.failed_now(throttle_key("fresh", "10.0.0.1"))
    assert len(throttle) == 1


def test_memory_stays_bounded_under_a_spray_of_usernames() -> None:
    throttle = _throttle(FakeClock(), max_keys=10)
    for i in range(1000):
        throttle.failed_now(throttle_key(f"user{i}", "10.0.0.1"))
    assert len(throttle) == 10
