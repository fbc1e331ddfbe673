"""Identity's request schemas on their own: each bad input named field by field (the entrypoints
load them first, so this is the 422 a caller gets), and what a good one loads to."""

from __future__ import annotations

import pytest
from marshmallow import Schema, ValidationError

from services.identity.accounts.schemas import (
    AcceptInvitationSchema,
    PasswordResetRequestSchema,
    RefreshSchema,
    SignInSchema,
)
from services.identity.audit.schemas import AuditQuerySchema
from services.identity.jobseekers.schemas import (
    DocumentUploadSchema,
    JobseekerListQuerySchema,
    JobTypeApprovalSchema,
    ProfileUpdateSchema,
    StaffRegistrationSchema,
)
from services.identity.staff.schemas import (
    ClientUserCreateSchema,
    ClientUserQuerySchema,
    RoleCreateSchema,
    StaffCreateSchema,
    StaffQuerySchema,
    StaffRolesSchema,
)

BEYOND_ANY_PAGE = str(10**20)  # more than the database can page to


@pytest.mark.parametrize(
    ("schema", "body", "fields"),
    [
        (SignInSchema, {"email": "not-an-email"}, {"email", "password"}),
        (SignInSchema, {"email": "a@b.org", "password": "x", "tenant_id": "short"}, {"tenant_id"}),
        (RefreshSchema, {"refresh_token": "short"}, {"refresh_token"}),
        (AcceptInvitationSchema, {"token": "t" * 43, "password": "too short"}, {"password"}),
        (PasswordResetRequestSchema, {"email": "a@b.org", "slug": "Not A Slug"}, {"slug"}),
        (
            StaffCreateSchema,
            {"email": "not an email", "roles": []},
            {"email", "display_name", "roles"},
        ),
        (
            StaffCreateSchema,
            {"email": "u" * 250 + "@inputs.example.org", "display_name": "U", "roles": ["viewer"]},
            {"email"},  # longer than the column holds
        ),
        (StaffRolesSchema, {"roles": "viewer"}, {"roles"}),
        (RoleCreateSchema, {"name": "Bad Name!", "permissions": ["nope"]}, {"name", "permissions"}),
        (ClientUserCreateSchema, {"email": "a@b.org", "display_name": ""}, {"display_name"}),
        (StaffQuerySchema, {"sort": "password_hash", "limit": "5"}, {"sort", "limit"}),
        (StaffQuerySchema, {"status": "gone", "role": ""}, {"status", "role"}),
        (ClientUserQuerySchema, {"page": "0", "per_page": "201"}, {"page", "per_page"}),
        (
            AuditQuerySchema,
            {"from": "yesterday", "per_page": "0", "sort": "actor_id"},
            {"from", "per_page", "sort"},
        ),
        (AuditQuerySchema, {"page": BEYOND_ANY_PAGE}, {"page"}),
        (JobseekerListQuerySchema, {"status": "gone", "per_page": "0"}, {"status", "per_page"}),
        (JobseekerListQuerySchema, {"page": BEYOND_ANY_PAGE}, {"page"}),
        (
            JobseekerListQuerySchema,
            {"job_type": "Home Care!", "q": ""},
            {"job_type", "q"},
        ),
        (
            StaffRegistrationSchema,
            {
                "email": "a@b.org",
                "name": "A",
                "phone": "5625550100",
                "home_area": "90813",
                "availability": {"weekly": {"funday": []}},
            },
            {"availability"},
        ),
        (ProfileUpdateSchema, {"email": "nope", "home_area": "9081"}, {"email", "home_area"}),
        (DocumentUploadSchema, {"document_type": "passport"}, {"document_type"}),
        (JobTypeApprovalSchema, {"job_type": "Home Care!"}, {"job_type"}),
    ],
)
def test_bad_input_is_named_field_by_field(schema: type[Schema], body: dict, fields: set[str]):
    with pytest.raises(ValidationError) as raised:
        schema().load(body)
    assert set(raised.value.messages) == fields


def test_availability_reasons_are_named_down_to_the_day():
    overlapping = {
        "weekly": {
            "monday": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]
        }
    }
    with pytest.raises(ValidationError) as raised:
        ProfileUpdateSchema().load({"availability": overlapping})
    assert raised.value.messages == {
        "availability": {"weekly": {"monday": ["09:00-12:00 overlaps 11:00-13:00."]}}
    }
    backwards = {"weekly": {"friday": [{"start": "17:00", "end": "09:00"}]}}
    with pytest.raises(ValidationError) as raised:
        ProfileUpdateSchema().load({"availability": backwards})
    assert "It must end after it starts." in str(raised.value.messages)


def test_lists_default_to_the_first_page_of_fifty_in_their_own_order():
    assert StaffQuerySchema().load({}) == {"page": 1, "per_page": 50, "sort": "created_at"}
    assert ClientUserQuerySchema().load({"sort": "-display_name"})["sort"] == "-display_name"
    assert JobseekerListQuerySchema().load({"skill": " Home  Care "}) == {
        "page": 1,
        "per_page": 50,
        "sort": "-created_at",
        "skill": "home care",
    }
    assert AuditQuerySchema().load({})["sort"] == "-occurred_at"


def test_a_profile_update_keeps_only_what_was_sent_tidied():
    loaded = ProfileUpdateSchema().load(
        {"name": " Maria ", "skills": ["Driving", "driving"], "languages": ["Khmer", "km"]}
    )
    assert loaded == {"name": "Maria", "skills": ["driving"], "languages": ["km"]}
    assert ProfileUpdateSchema().load({}) == {}
