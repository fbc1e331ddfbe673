"""Billing settings per CBO, and payroll: runs, their lines and items, what was paid per item
and per worker's week, bonuses, export files.

Revision ID: billing_0011
Revises: billing_0010
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "billing_0011"
down_revision = "billing_0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "billing_settings",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("payroll_provider", sa.String(length=20), nullable=False),
        sa.Column("company_code", sa.String(length=20), nullable=False),
        sa.Column("run_hour", sa.Integer(), nullable=False),
        sa.Column("auto_complete", sa.Boolean(), nullable=False),
        sa.Column("pay_rules", sa.JSON(), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    op.create_table(
        "paid_items",
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("item_id"),
    )
    op.create_table(
        "paid_weeks",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("regular_minutes", sa.Integer(), nullable=False),
        sa.Column("overtime_minutes", sa.Integer(), nullable=False),
        sa.Column("double_time_minutes", sa.Integer(), nullable=False),
        sa.Column("reporting_minutes", sa.Integer(), nullable=False),
        sa.Column("meal_premiums", sa.Integer(), nullable=False),
        sa.Column("rest_premiums", sa.Integer(), nullable=False),
        sa.Column("straight_cents", sa.Integer(), nullable=False),
        sa.Column("overtime_premium_cents", sa.Integer(), nullable=False),
        sa.Column("period_premium_cents", sa.Integer(), nullable=False),
        sa.Column("reporting_cents", sa.Integer(), nullable=False),
        sa.Column("bonus_cents", sa.Integer(), nullable=False),
        sa.Column("gross_cents", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "worker_id", "week_start"),
    )
    op.create_table(
        "payroll_bonuses",
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("cents", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "worker_id", "week_start"),
    )
    op.create_table(
        "payroll_exports",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("layout", sa.String(length=20), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("filename", sa.String(length=100), nullable=False),
        sa.Column("content_type", sa.String(length=60), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("run_id", "layout"),
    )
    op.create_table(
        "payroll_lines",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("worker_id", sa.String(length=36), nullable=False),
        sa.Column("for_week", sa.Date(), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("worker_tenant_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("payroll_id", sa.String(length=40), nullable=True),
        sa.Column("regular_minutes", sa.Integer(), nullable=False),
        sa.Column("overtime_minutes", sa.Integer(), nullable=False),
        sa.Column("double_time_minutes", sa.Integer(), nullable=False),
        sa.Column("reporting_minutes", sa.Integer(), nullable=False),
        sa.Column("meal_premiums", sa.Integer(), nullable=False),
        sa.Column("rest_premiums", sa.Integer(), nullable=False),
        sa.Column("straight_cents", sa.Integer(), nullable=False),
        sa.Column("overtime_premium_cents", sa.Integer(), nullable=False),
        sa.Column("period_premium_cents", sa.Integer(), nullable=False),
        sa.Column("reporting_cents", sa.Integer(), nullable=False),
        sa.Column("bonus_cents", sa.Integer(), nullable=False),
        sa.Column("gross_cents", sa.Integer(), nullable=False),
        sa.Column("regular_rate", sa.String(length=20), nullable=False),
        sa.Column("clients", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "worker_id", "for_week"),
    )
    op.create_index(
        "ix_payroll_lines_tenant_run", "payroll_lines", ["tenant_id", "run_id"], unique=False
    )
    op.create_table(
        "payroll_run_items",
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "item_id"),
    )
    op.create_table(
        "payroll_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=36), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_by_kind", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("preview_job_id", sa.String(length=36), nullable=True),
        sa.Column("complete_job_id", sa.String(length=36), nullable=True),
        sa.Column("workers", sa.Integer(), nullable=False),
        sa.Column("gross_cents", sa.Integer(), nullable=False),
        sa.Column("blockers", sa.JSON(), nullable=False),
        sa.Column("blocker_count", sa.Integer(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.String(length=36), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_payroll_runs_tenant_week", "payroll_runs", ["tenant_id", "week_start"], unique=False
    )
    op.create_index(
        "uq_payroll_runs_locked_week",
        "payroll_runs",
        ["tenant_id", "week_start"],
        unique=True,
        postgresql_where=sa.text("status IN ('completing', 'completed')"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_payroll_runs_locked_week",
        table_name="payroll_runs",
        postgresql_where=sa.text("status IN ('completing', 'completed')"),
    )
    op.drop_index("ix_payroll_runs_tenant_week", table_name="payroll_runs")
    op.drop_table("payroll_runs")
    op.drop_table("payroll_run_items")
    op.drop_index("ix_payroll_lines_tenant_run", table_name="payroll_lines")
    op.drop_table("payroll_lines")
    op.drop_table("payroll_exports")
    op.drop_table("payroll_bonuses")
    op.drop_table("paid_weeks")
    op.drop_table("paid_items")
    op.drop_table("billing_settings")
