"""A CBO's billing settings: the defaults and what may be changed (pure)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from services.billing.payrules.rules import CALIFORNIA, PayRules, with_rules

PROVIDERS: tuple[str, ...] = ("adp", "paychex", "gusto", "plain")

DEFAULTS: dict[str, Any] = {
    "payroll_provider": "plain",
    "company_code": "WLB",
    "run_hour": 6,
    "auto_complete": True,
    "pay_rules": {},
}

# The pay rules a CBO may change, and the bounds of the numbers among them.
MINUTE_BOUNDS = (0, 7 * 24 * 60)
RULE_NAMES: tuple[str, ...] = tuple(f.name for f in fields(PayRules))


def pay_rules_of(changes: dict[str, Any]) -> PayRules:
    """The CBO's rules: California's with its changes (names it no longer knows are skipped)."""
    known = {name: value for name, value in changes.items() if name in RULE_NAMES}
    return with_rules(CALIFORNIA, **known)


def pay_rules_view(changes: dict[str, Any]) -> dict[str, Any]:
    rules = pay_rules_of(changes)
    return {name: getattr(rules, name) for name in RULE_NAMES}
