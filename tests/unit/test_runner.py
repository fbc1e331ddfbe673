"""The runner's settling of the garbage collector once a service has started."""

from __future__ import annotations

import gc

from chassis.runner import GC_THRESHOLDS, settle_garbage_collector


def test_what_the_service_made_to_start_is_frozen_and_young_collections_come_less_often():
    before = gc.get_threshold()
    try:
        made_at_start = [object() for _ in range(1000)]
        settle_garbage_collector()
        assert gc.get_threshold() == GC_THRESHOLDS
        assert gc.get_freeze_count() >= len(made_at_start)
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
