"""Events the tenancy service publishes."""

from marshmallow import Schema, fields

from chassis.contracts.events import published_by

event = published_by("tenancy")


class _Tenant(Schema):
    tenant_id = fields.String(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)


@event("tenant.applied")
class TenantApplied(_Tenant):
    """A CBO applied to join the platform."""

    contact_email = fields.Email(required=True)
    contact_name = fields.String(required=True)


@event("tenant.approved")
class TenantApproved(_Tenant):
    """The city approved a CBO; identity invites its owner."""

    owner_email = fields.Email(required=True)
    owner_name = fields.String(required=True)
    timezone = fields.String(required=True)


@event("tenant.rejected")
class TenantRejected(_Tenant):
    """The city rejected a CBO's application."""

    reason = fields.String(required=True)


@event("tenant.suspended")
class TenantSuspended(_Tenant):
    """A CBO was suspended: its users can no longer sign in."""

    reason = fields.String(required=True)


@event("tenant.reinstated")
class TenantReinstated(_Tenant):
    """A suspended CBO was reinstated."""

    reason = fields.String(allow_none=True)


@event("mou.recorded")
class MouRecorded(Schema):
    """A CBO's memorandum of understanding with the workforce nonprofit was recorded."""

    tenant_id = fields.String(required=True)
    mou_id = fields.String(required=True)
    signed_on = fields.Date(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(allow_none=True)


@event("mou.document_attached")
class MouDocumentAttached(Schema):
    """The signed MOU document (a PDF) was uploaded for a recorded MOU."""

    tenant_id = fields.String(required=True)
    mou_id = fields.String(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)


@event("branding.updated")
class BrandingUpdated(Schema):
    """A CBO changed its branding, words, languages, timezone or login box."""

    tenant_id = fields.String(required=True)
    changed = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "branding fields, `logo`, `allowed_origins`"},
    )
    # What other services keep about a CBO, as it is now (tenant time, emails' language).
    timezone = fields.String(metadata={"description": "as it is now"})
    default_language = fields.String(metadata={"description": "as it is now"})
    languages = fields.List(fields.String(), metadata={"description": "as they are now"})


@event("client.registered")
class ClientRegistered(Schema):
    """A client organisation (the city, a business, a family) was registered."""

    client_id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    channel = fields.String(metadata={"enum": ["staff", "import"]})


@event("client.updated")
class ClientUpdated(Schema):
    """A client organisation's details changed (or it was made inactive or active)."""

    client_id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    active = fields.Boolean(required=True)
    changed = fields.List(fields.String(), required=True)


class _Term(Schema):
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)


@event("source.created")
class SourceCreated(Schema):
    """A worker source (e.g. a college) with its weekly hour cap and term calendar was
    created."""

    source_id = fields.String(required=True)
    name = fields.String(required=True)
    weekly_hour_cap = fields.Float(allow_none=True)
    terms = fields.List(
        fields.Nested(_Term),
        required=True,
        metadata={"description": "the cap applies within these; all year when empty"},
    )
    active = fields.Boolean()


@event("source.updated")
class SourceUpdated(SourceCreated):
    """A worker source's name, cap, term calendar or active flag changed."""

    changed = fields.List(fields.String(), required=True)


@event("partnership.proposed")
class PartnershipProposed(Schema):
    """A CBO proposed a partnership to another."""

    partnership_id = fields.String(required=True)
    proposer_id = fields.String(required=True)
    partner_id = fields.String(required=True)
    shares = fields.List(fields.String(), required=True)


@event("partnership.formed")
class PartnershipFormed(PartnershipProposed):
    """The partner accepted: the two CBOs now share what `shares` lists."""


@event("partnership.declined")
class PartnershipDeclined(PartnershipProposed):
    """The invited CBO declined a proposed partnership."""


@event("partnership.cancelled")
class PartnershipCancelled(PartnershipProposed):
    """The proposing CBO withdrew its proposal before it was answered."""


@event("partnership.ended")
class PartnershipEnded(PartnershipProposed):
    """Either side ended the partnership."""


@event("licence.granted")
class LicenceGranted(Schema):
    """The operator granted a CBO a feature licence (evv, rebooking) for a period."""

    licence_id = fields.String(required=True)
    feature = fields.String(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(allow_none=True)


@event("licence.revoked")
class LicenceRevoked(LicenceGranted):
    """A feature licence was ended early."""
