"""job seekers: profiles, ID documents, approvals per job type, CSV imports

Revision ID: identity_0103
Revises: identity_0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "identity_0103"
down_revision = "identity_0002"
branch_labels = None
depends_on = None


def _created_at() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "jobseeker_profiles",
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("preferred_language", sa.String(5), nullable=False),
        sa.Column("languages", postgresql.ARRAY(sa.String(10)), nullable=False),
        sa.Column("home_area", sa.String(10), nullable=True),
        sa.Column("skills", postgresql.ARRAY(sa.String(60)), nullable=False),
        sa.Column("source_id", sa.String(36), nullable=True),
        sa.Column("availability", postgresql.JSONB(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(36), nullable=True),
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("suspension_reason", sa.String(500), nullable=True),
        _created_at(),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id"),
    )
    op.create_index(
        "ix_jobseeker_profiles_tenant_status", "jobseeker_profiles", ["tenant_id", "status"]
    )
    op.create_index(
        "ix_jobseeker_profiles_skills", "jobseeker_profiles", ["skills"], postgresql_using="gin"
    )

    op.create_table(
        "jobseeker_documents",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("jobseeker_id", sa.String(36), nullable=False),
        sa.Column("document_type", sa.String(30), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(50), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("uploaded_by", sa.String(36), nullable=True),
        sa.Column("reviewed_by", sa.String(36), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        _created_at(),
        sa.ForeignKeyConstraint(
            ["jobseeker_id"], ["jobseeker_profiles.account_id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_jobseeker_documents_tenant_jobseeker",
        "jobseeker_documents",
        ["tenant_id", "jobseeker_id"],
    )

    op.create_table(
        "jobseeker_job_types",
        sa.Column("jobseeker_id", sa.String(36), nullable=False),
        sa.Column("job_type", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("approved_by", sa.String(36), nullable=True),
        sa.Column(
            "approved_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["jobseeker_id"], ["jobseeker_profiles.account_id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("jobseeker_id", "job_type"),
    )
    op.create_index(
        "ix_jobseeker_job_types_tenant_type", "jobseeker_job_types", ["tenant_id", "job_type"]
    )

    op.create_table(
        "jobseeker_imports",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("created_by", sa.String(36), nullable=True),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("on_existing", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("phase", sa.String(20), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("ignored_columns", postgresql.ARRAY(sa.String(100)), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _created_at(),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_jobseeker_imports_tenant_created", "jobseeker_imports", ["tenant_id", "created_at"]
    )

    op.create_table(
        "jobseeker_import_rows",
        sa.Column("import_id", sa.String(36), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("jobseeker_id", sa.String(36), nullable=True),
        sa.Column("errors", postgresql.JSONB(), nullable=True),
        sa.ForeignKeyConstraint(["import_id"], ["jobseeker_imports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("import_id", "row"),
    )


def downgrade() -> None:
    op.drop_table("jobseeker_import_rows")
    op.drop_index("ix_jobseeker_imports_tenant_created", table_name="jobseeker_imports")
    op.drop_table("jobseeker_imports")
    op.drop_index("ix_jobseeker_job_types_tenant_type", table_name="jobseeker_job_types")
    op.drop_table("jobseeker_job_types")
    op.drop_index("ix_jobseeker_documents_tenant_jobseeker", table_name="jobseeker_documents")
    op.drop_table("jobseeker_documents")
    op.drop_index("ix_jobseeker_profiles_skills", table_name="jobseeker_profiles")
    op.drop_index("ix_jobseeker_profiles_tenant_status", table_name="jobseeker_profiles")
    op.drop_table("jobseeker_profiles")
