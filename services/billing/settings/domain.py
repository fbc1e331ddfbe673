"""A CBO's billing settings (the defaults until changed)."""

from __future__ import annotations

from typing import Any

from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork
from chassis.errors import ValidationFailed
from services.billing.payrules.rules import PayRules
from services.billing.settings import rules
from services.billing.settings.models import BillingSettings


def settings_of(uow: UnitOfWork, *, tenant_id: str) -> dict[str, Any]:
    """The CBO's settings as stored (the defaults where none are)."""
    found = uow.session.get(BillingSettings, tenant_id)
    if found is None:
        return dict(rules.DEFAULTS)
    return {
        "payroll_provider": found.payroll_provider,
        "company_code": found.company_code,
        "run_hour": found.run_hour,
        "auto_complete": found.auto_complete,
        "pay_rules": dict(found.pay_rules or {}),
    }


def pay_rules_for(uow: UnitOfWork, *, tenant_id: str) -> PayRules:
    return rules.pay_rules_of(settings_of(uow, tenant_id=tenant_id)["pay_rules"])


def view(settings: dict[str, Any]) -> dict[str, Any]:
    return {**settings, "pay_rules": rules.pay_rules_view(settings["pay_rules"])}


def update_settings(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    before = settings_of(uow, tenant_id=tenant_id)
    after = {**before, **{k: v for k, v in data.items() if k != "pay_rules"}}
    after["pay_rules"] = {**before["pay_rules"], **data.get("pay_rules", {})}
    pay = rules.pay_rules_of(after["pay_rules"])
    if pay.reporting_min_minutes > pay.reporting_max_minutes:
        raise ValidationFailed(
            fields={"pay_rules": {"reporting_min_minutes": ["Not more than the maximum."]}}
        )
    found = uow.session.get(BillingSettings, tenant_id, with_for_update=True)
    if found is None:
        found = BillingSettings(tenant_id=tenant_id)
        uow.session.add(found)
    found.payroll_provider = after["payroll_provider"]
    found.company_code = after["company_code"]
    found.run_hour = after["run_hour"]
    found.auto_complete = after["auto_complete"]
    found.pay_rules = after["pay_rules"]
    found.updated_by = caller.user_id
    uow.session.flush()
    audit(
        uow,
        caller,
        action="billing_settings.update",
        entity_type="billing_settings",
        entity_id=tenant_id,
        before=before,
        after=after,
        tenant_id=tenant_id,
    )
    return view(after)
