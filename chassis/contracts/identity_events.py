"""Events the identity service publishes."""

from marshmallow import Schema, fields

from chassis.contracts.events import published_by

event = published_by("identity")


@event("account.created")
class AccountCreated(Schema):
    """An account was created (operator, staff, job seeker or client user)."""

    account_id = fields.String(required=True)
    kind = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    # The client organisation of a client user; none for other kinds.
    client_id = fields.String(allow_none=True)


@event("jobseeker.registered")
class JobseekerRegistered(Schema):
    """A job seeker registered (self, by staff, or imported)."""

    jobseeker_id = fields.String(required=True)
    source_id = fields.String(allow_none=True)
    channel = fields.String(required=True, metadata={"enum": ["self", "staff", "import"]})


class _Slot(Schema):
    start = fields.String(required=True, metadata={"description": "HH:MM"})
    end = fields.String(required=True, metadata={"description": "HH:MM, 24:00 ends a day"})


class _AvailabilityException(Schema):
    date = fields.String(required=True, metadata={"description": "ISO date"})
    kind = fields.String(required=True, metadata={"enum": ["unavailable", "extra"]})
    slots = fields.List(fields.Nested(_Slot), required=True)
    note = fields.String(allow_none=True)


class _Availability(Schema):
    weekly = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Nested(_Slot)),
        required=True,
        metadata={"description": "weekday name: slots of the CBO's local time"},
    )
    exceptions = fields.List(fields.Nested(_AvailabilityException), required=True)


@event("jobseeker.profile_changed")
class JobseekerProfileChanged(Schema):
    """A job seeker's profile as it is now, in full: sent on registration (self, staff or
    import) and on every change of the profile or availability, so the latest one is all a
    reader needs (booking's read model of workers)."""

    jobseeker_id = fields.String(required=True)
    name = fields.String(required=True)
    skills = fields.List(fields.String(), required=True)
    languages = fields.List(fields.String(), required=True)
    home_area = fields.String(
        required=True, allow_none=True, metadata={"description": "the home ZIP"}
    )
    source_id = fields.String(required=True, allow_none=True)
    availability = fields.Nested(
        _Availability,
        required=True,
        metadata={"description": "as stored: weekly hours and exceptions"},
    )
    status = fields.String(required=True, metadata={"enum": ["pending", "approved", "suspended"]})


@event("document.uploaded")
class DocumentUploaded(Schema):
    """A job seeker's ID document was uploaded and waits for review."""

    jobseeker_id = fields.String(required=True)
    document_id = fields.String(required=True)
    document_type = fields.String(required=True)


@event("document.verified")
class DocumentVerified(DocumentUploaded):
    """Staff checked an ID document and accepted it."""


@event("document.rejected")
class DocumentRejected(DocumentUploaded):
    """Staff rejected an ID document, with a reason."""

    reason = fields.String(required=True)


@event("jobseeker.approved")
class JobseekerApproved(Schema):
    """A job seeker may now be offered work under the CBO's brand."""

    jobseeker_id = fields.String(required=True)


@event("jobseeker.jobtype_approved")
class JobseekerJobTypeApproved(Schema):
    """A job seeker was approved for one job type."""

    jobseeker_id = fields.String(required=True)
    job_type = fields.String(required=True)


@event("jobseeker.suspended")
class JobseekerSuspended(Schema):
    """A job seeker may no longer be offered work, with a reason."""

    jobseeker_id = fields.String(required=True)
    reason = fields.String(required=True)


@event("jobseeker.reinstated")
class JobseekerReinstated(JobseekerSuspended):
    """A suspended job seeker may be offered work again."""


@event("invitation.created")
class InvitationCreated(Schema):
    """Somebody was invited to set a password; identity emails them a single-use link.

    The token is made when the email goes out, so it never travels in an event."""

    invitation_id = fields.String(required=True)
    account_id = fields.String(required=True)
    tenant_name = fields.String(allow_none=True, load_default=None)


@event("password_reset.requested")
class PasswordResetRequested(InvitationCreated):
    """Somebody asked for a new password; identity emails them a single-use link."""


@event("account.activated")
class AccountActivated(Schema):
    """An invited person set their password: the account can sign in."""

    account_id = fields.String(required=True)
    kind = fields.String(required=True)


@event("account.password_changed")
class AccountPasswordChanged(Schema):
    """A password was set through a reset link; the account's sessions were ended."""

    account_id = fields.String(required=True)


@event("account.roles_changed")
class AccountRolesChanged(Schema):
    """A staff member's roles were changed."""

    account_id = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)


@event("account.deactivated")
class AccountDeactivated(Schema):
    """An account can no longer sign in; its sessions were ended."""

    account_id = fields.String(required=True)
    kind = fields.String(required=True)


@event("account.reactivated")
class AccountReactivated(AccountDeactivated):
    """A deactivated account can sign in again."""


@event("role.created")
class RoleCreated(Schema):
    """A CBO defined a custom role for its staff."""

    role_id = fields.String(required=True)
    name = fields.String(required=True)
    permissions = fields.List(fields.String(), required=True)


@event("role.updated")
class RoleUpdated(RoleCreated):
    """A custom role's permissions changed (tokens issued from now on carry them)."""


@event("role.deleted")
class RoleDeleted(RoleCreated):
    """A custom role was deleted (only when no account holds it)."""
