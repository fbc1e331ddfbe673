"""Events the identity service publishes."""

from marshmallow import Schema, fields

from chassis.contracts.events import event


@event("account.created")
class AccountCreated(Schema):
    """An account was created (operator, staff, job seeker or client user)."""

    account_id = fields.String(required=True)
    kind = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
