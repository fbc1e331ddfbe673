"""A CBO's billing settings as the API shows and changes them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from chassis.schemas import Pattern
from services.billing.payrules.rules import BONUS_ALVARADO, BONUS_FLSA
from services.billing.settings.rules import MINUTE_BOUNDS, PROVIDERS

_MINUTES = validate.Range(min=MINUTE_BOUNDS[0], max=MINUTE_BOUNDS[1])


def _minutes(nullable: bool = False) -> fields.Integer:
    return fields.Integer(strict=True, allow_none=nullable, validate=_MINUTES)


class PayRulesSchema(Schema):
    """Thresholds in minutes; a nullable one set to null switches its rule off."""

    weekly_overtime_after_minutes = _minutes(nullable=True)
    daily_overtime_after_minutes = _minutes(nullable=True)
    daily_double_time_after_minutes = _minutes(nullable=True)
    seventh_day = fields.Boolean()
    seventh_day_double_time_after_minutes = _minutes()
    reporting_time = fields.Boolean()
    reporting_min_minutes = _minutes()
    reporting_max_minutes = _minutes()
    meal_periods = fields.Boolean()
    meal_after_minutes = _minutes()
    meal_waivable_up_to_minutes = _minutes()
    second_meal_after_minutes = _minutes()
    second_meal_waivable_up_to_minutes = _minutes()
    meal_minutes = _minutes()
    rest_periods_clocked = fields.Boolean()
    rest_minutes = _minutes()
    premium_minutes = _minutes()
    bonus_method = fields.String(validate=validate.OneOf([BONUS_ALVARADO, BONUS_FLSA]))


class SettingsUpdateSchema(Schema):
    """Any of the settings; the others stay as they are. `pay_rules` names only the rules to
    change (the rest stay California's, or as changed before)."""

    payroll_provider = fields.String(validate=validate.OneOf(PROVIDERS))
    company_code = fields.String(
        validate=Pattern(r"^[A-Za-z0-9]{1,20}$", error="Letters and digits, at most 20.")
    )
    run_hour = fields.Integer(strict=True, validate=validate.Range(min=0, max=23))
    auto_complete = fields.Boolean()
    pay_rules = fields.Nested(PayRulesSchema)


class SettingsSchema(Schema):
    payroll_provider = fields.String(required=True)
    company_code = fields.String(required=True)
    run_hour = fields.Integer(required=True)
    auto_complete = fields.Boolean(required=True)
    pay_rules = fields.Nested(PayRulesSchema, required=True, metadata={"description": "In full."})
