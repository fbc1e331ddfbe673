"""How long the outbox relay waits after failing (chassis.outbox.retry_pause)."""

from chassis.outbox import retry_pause


def test_the_pause_doubles_from_the_first_up_to_the_longest():
    pauses = [retry_pause(failures, first=1.0, longest=30.0) for failures in range(1, 8)]
    assert pauses == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_an_outage_of_any_length_keeps_the_longest_pause():
    # 2.0 ** 1024 overflows a float: an outage of about 8 hours (1,024 failures) raised
    # OverflowError in the relay's loop, which killed the service.
    for failures in (1_024, 1_025, 10**6, 10**12):
        assert retry_pause(failures, first=0.5, longest=30.0) == 30.0


def test_no_failure_yet_counts_as_the_first():
    assert retry_pause(0) == retry_pause(1) == 1.0
