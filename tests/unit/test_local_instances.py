"""The launcher's instances per service (deploy/local.py `instances`): WORKLB_<SERVICE>_INSTANCES
asks for more processes of one service; nothing else changes what `make run` starts."""

import pytest

from deploy.local import PlatformError, instances


def test_only_services_asked_for_more_than_one_are_listed():
    env = {"WORKLB_BOOKING_INSTANCES": "3", "WORKLB_REBOOKING_INSTANCES": "1", "OTHER": "9"}
    assert instances(env) == {"booking": 3}
    assert instances({}) == {}
    assert instances({"WORKLB_BOOKING_INSTANCES": " "}) == {}


@pytest.mark.parametrize("raw", ["0", "-2", "three", "2.5"])
def test_a_count_that_is_not_a_positive_number_is_refused(raw):
    with pytest.raises(PlatformError, match="WORKLB_BOOKING_INSTANCES"):
        instances({"WORKLB_BOOKING_INSTANCES": raw})
