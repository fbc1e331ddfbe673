"""Identity's migrations make the job-seeker import's tables as its models define them (the
revision that moved imports onto background jobs, identity_0007, included)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.identity.base import metadata
from services.identity.jobseeker_imports.models import JobseekerImport, JobseekerImportRow

SERVICE = "identity"
IMPORT_TABLES = {JobseekerImport.__tablename__, JobseekerImportRow.__tablename__}


def test_the_migrated_import_tables_match_the_models(uow):
    def import_tables_only(thing, name, kind, reflected, compare_to) -> bool:
        table = thing if kind == "table" else thing.table
        return table.name in IMPORT_TABLES

    context = MigrationContext.configure(
        uow.session.connection(),
        opts={"compare_type": True, "include_object": import_tables_only},
    )
    assert compare_metadata(context, metadata) == []
