"""A CBO that is not approved changes nothing, whichever area its staff write to (even with a
token issued before a suspension): every write is refused before anything is written."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from chassis.errors import Forbidden
from services.tenancy.base import metadata
from services.tenancy.branding import domain as branding
from services.tenancy.clients import domain as clients
from services.tenancy.clients import imports
from services.tenancy.partnerships import domain as partnerships
from services.tenancy.sources import domain as sources
from services.tenancy.tenants.domain import decide
from tests.domain.outbox import Outbox
from tests.factories import (
    PNG,
    a_cbo,
    a_client,
    a_partnership,
    a_worker_source,
    client_csv,
    client_details,
    operator_caller,
    staff_caller,
    uploaded,
)

SERVICE = "tenancy"
PUBLIC_URL = "https://worklb.example.org"

# name: write(uow, cbo, what the CBO had before) by the CBO's owner
WRITES: dict[str, Callable] = {
    "update_branding": lambda uow, cbo, had: branding.update_branding(
        uow, caller=had["owner"], tenant_id=cbo.id, data={"display_name": "X"}
    ),
    "set_logo": lambda uow, cbo, had: branding.set_logo(
        uow, caller=had["owner"], tenant_id=cbo.id, file=uploaded(PNG, "logo.png")
    ),
    "remove_logo": lambda uow, cbo, had: branding.remove_logo(
        uow, caller=had["owner"], tenant_id=cbo.id
    ),
    "set_allowed_origins": lambda uow, cbo, had: branding.set_allowed_origins(
        uow,
        caller=had["owner"],
        tenant_id=cbo.id,
        origins=["https://www.example.org"],
        public_url=PUBLIC_URL,
    ),
    "create_client": lambda uow, cbo, had: clients.create_client(
        uow, caller=had["owner"], tenant_id=cbo.id, data=client_details("Another")
    ),
    "update_client": lambda uow, cbo, had: clients.update_client(
        uow,
        caller=had["owner"],
        tenant_id=cbo.id,
        client_id=had["client"].id,
        data={"city": "Lakewood"},
    ),
    "import_clients (skip_bad_rows)": lambda uow, cbo, had: imports.run_import(
        uow,
        caller=had["owner"],
        tenant_id=cbo.id,
        file=uploaded(client_csv(1), "c.csv"),
        mode="skip_bad_rows",
    ),
    "import_clients (all_or_nothing)": lambda uow, cbo, had: imports.run_import(
        uow,
        caller=had["owner"],
        tenant_id=cbo.id,
        file=uploaded(client_csv(1), "c.csv"),
        mode="all_or_nothing",
    ),
    "create_source": lambda uow, cbo, had: sources.create_source(
        uow,
        caller=had["owner"],
        tenant_id=cbo.id,
        data={"name": "Walk-ins", "weekly_hour_cap": None, "terms": [], "active": True},
    ),
    "update_source": lambda uow, cbo, had: sources.update_source(
        uow,
        caller=had["owner"],
        tenant_id=cbo.id,
        source_id=had["source"].id,
        data={"weekly_hour_cap": 10},
    ),
    "propose_partnership": lambda uow, cbo, had: partnerships.propose(
        uow,
        caller=had["owner"],
        tenant_id=cbo.id,
        data={"partner_slug": had["partner"].slug, "shares": ["job_types"], "message": ""},
    ),
    "accept_partnership": lambda uow, cbo, had: partnerships.answer(
        uow,
        caller=had["owner"],
        tenant_id=cbo.id,
        partnership_id=had["proposal"]["id"],
        accept=True,
    ),
    "decline_partnership": lambda uow, cbo, had: partnerships.answer(
        uow,
        caller=had["owner"],
        tenant_id=cbo.id,
        partnership_id=had["another_proposal"]["id"],
        accept=False,
    ),
    "withdraw_proposal": lambda uow, cbo, had: partnerships.end(
        uow, caller=had["owner"], tenant_id=cbo.id, partnership_id=had["own_proposal"]["id"]
    ),
    "end_partnership": lambda uow, cbo, had: partnerships.end(
        uow, caller=had["owner"], tenant_id=cbo.id, partnership_id=had["partnership"]["id"]
    ),
}


def row_counts(uow) -> dict[str, int]:
    return {
        name: uow.session.execute(select(func.count()).select_from(table)).scalar_one()
        for name, table in metadata.tables.items()
    }


@pytest.fixture
def suspended(uow) -> tuple:
    """A CBO with a bit of everything, suspended after, and what it had."""
    cbo = a_cbo(uow)
    partner, proposer, another, invited, formed = (a_cbo(uow) for _ in range(5))
    owner = staff_caller(cbo.id)
    had: dict[str, Any] = {
        "owner": owner,
        "client": a_client(uow, tenant_id=cbo.id),
        "source": a_worker_source(uow, tenant_id=cbo.id),
        "partner": partner,
        "proposal": a_partnership(
            uow, proposer_id=proposer.id, partner_id=cbo.id, status="proposed"
        ),
        "another_proposal": a_partnership(
            uow, proposer_id=another.id, partner_id=cbo.id, status="proposed"
        ),
        "own_proposal": a_partnership(
            uow, proposer_id=cbo.id, partner_id=invited.id, status="proposed"
        ),
        "partnership": a_partnership(uow, proposer_id=formed.id, partner_id=cbo.id),
    }
    branding.set_logo(uow, caller=owner, tenant_id=cbo.id, file=uploaded(PNG, "logo.png"))
    decide(uow, caller=operator_caller(), tenant_id=cbo.id, action="suspend", reason="Audit")
    return cbo, had


def refusals(uow, cbo, had, writes) -> dict[str, str]:
    """What became of each write: its refusal's message, or what it wrote instead."""
    outcomes = {}
    for name in writes:
        before = row_counts(uow)
        sent = Outbox(uow)
        try:
            WRITES[name](uow, cbo, had)
        except Forbidden as refused:
            outcomes[name] = refused.message
        else:
            outcomes[name] = "done"
        if sent.events() or row_counts(uow) != before:
            outcomes[name] += f", and wrote {sent.types()}"
    return outcomes


def test_a_suspended_cbo_changes_nothing(uow, suspended):
    cbo, had = suspended
    refused = "Your CBO is suspended; it cannot change anything now."
    assert refusals(uow, cbo, had, WRITES) == dict.fromkeys(WRITES, refused)


def test_a_reinstated_cbo_writes_again(uow, suspended):
    cbo, had = suspended
    decide(uow, caller=operator_caller(), tenant_id=cbo.id, action="reinstate", reason="Paid")
    for name, write in WRITES.items():
        sent = Outbox(uow)
        write(uow, cbo, had)
        assert "audit.recorded" in sent.types(), name


@pytest.mark.parametrize("status", ["applied", "rejected"])
def test_a_cbo_the_city_has_not_approved_changes_nothing(uow, status):
    """It has nothing to change yet: it can only be refused what makes something new."""
    cbo = a_cbo(uow, status=status)
    creations = (
        "update_branding",
        "set_logo",
        "set_allowed_origins",
        "create_client",
        "import_clients (skip_bad_rows)",
        "create_source",
        "propose_partnership",
    )
    had = {"owner": staff_caller(cbo.id), "partner": a_cbo(uow)}
    refused = f"Your CBO is {status}; it cannot change anything now."
    assert refusals(uow, cbo, had, creations) == dict.fromkeys(creations, refused)


def test_a_suspended_cbo_may_still_check_a_file_which_writes_no_client(uow, suspended):
    cbo, had = suspended
    report = imports.run_import(
        uow,
        caller=had["owner"],
        tenant_id=cbo.id,
        file=uploaded(client_csv(2), "c.csv"),
        mode="dry_run",
    )
    assert (report.status, report.created) == ("checked", 0)
