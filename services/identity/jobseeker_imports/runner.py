"""The dependency that runs job-seeker imports in the background: after the request that started
one has committed, and again for any a crashed process left behind."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import eventlet
from nameko.extensions import DependencyProvider

from chassis.db import Database
from services.identity.jobseeker_imports import domain

log = logging.getLogger(__name__)


class ImportRunner(DependencyProvider):
    """Runs CSV imports outside the request that started them, after its transaction has
    committed; resumes imports a crashed process left behind (at start, then every
    SWEEP_SECONDS)."""

    SWEEP_SECONDS = 30.0

    def setup(self) -> None:
        database = next((d for d in self.container.dependencies if isinstance(d, Database)), None)
        if database is None:
            raise TypeError("the import runner needs a Database dependency")
        self.database: Database = database
        self.pending: dict[Any, list[str]] = {}
        self.running: set[str] = set()
        self._sweeper = None

    def start(self) -> None:
        self._sweeper = self.container.spawn_managed_thread(self._sweep_forever)

    def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.kill()

    def get_dependency(self, worker_ctx) -> Callable[[str], None]:
        def launch(import_id: str) -> None:
            self.pending.setdefault(worker_ctx, []).append(import_id)

        return launch

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        # Called after the entrypoint committed (or failed): only then may a run read the job.
        launches = self.pending.pop(worker_ctx, [])
        if exc_info is None:
            for import_id in launches:
                self.launch(import_id)

    def worker_teardown(self, worker_ctx) -> None:
        self.pending.pop(worker_ctx, None)

    def launch(self, import_id: str) -> None:
        if import_id in self.running:
            return
        self.running.add(import_id)
        self.container.spawn_managed_thread(functools.partial(self._run, import_id))

    def _run(self, import_id: str) -> None:
        try:
            domain.run_import(self.database.new_unit, import_id)
        except Exception:
            pass  # run_import logged it and left the job interrupted (resumable)
        finally:
            self.running.discard(import_id)

    def sweep(self) -> None:
        with self.database.transaction() as uow:
            left = domain.interrupted_imports(uow)
        for import_id in left:
            self.launch(import_id)

    def _sweep_forever(self) -> None:
        while True:
            try:
                self.sweep()
            except Exception:
                log.exception("could not look for interrupted imports")
            eventlet.sleep(self.SWEEP_SECONDS)
