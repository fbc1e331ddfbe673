"""Logging from an OS thread of eventlet's pool while green threads log (eventlet issue #432):
billing renders PDFs in that pool, and the libraries it uses there log."""

from __future__ import annotations

import subprocess
import sys

# Run apart: the test process's own logging is pytest's. Four green threads and four calls into
# eventlet's thread pool log at once; with green locks in logging this ends in "Cannot switch to
# a different thread" and a wait that never returns (it did, three runs in three, before).
SCRIPT = """
import sys
import eventlet
eventlet.monkey_patch()
import logging
import eventlet.tpool
from chassis.logs import configure_logging

configure_logging("threads", "INFO")


def in_thread(n):
    for i in range(n):
        logging.getLogger(f"thread.{i % 50}").info("from the pool %d", i)
    return n


def green(n):
    for i in range(n):
        logging.getLogger(f"green.{i % 50}").info("from a green thread %d", i)
        eventlet.sleep(0)  # a yield, not a wait: the green threads take turns between records


pool = eventlet.GreenPool()
for _ in range(4):
    pool.spawn(green, 2000)
done = [eventlet.tpool.execute(in_thread, 2000) for _ in range(4)]
pool.waitall()
print("done", sum(done), file=sys.stderr)
"""


def test_records_logged_from_the_thread_pool_and_green_threads_at_once_all_get_through():
    ran = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120
    )
    assert "Cannot switch" not in ran.stderr
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "done 8000" in ran.stderr
    assert ran.stdout.count("from the pool") == 8000
    assert ran.stdout.count("from a green thread") == 8000
