"""Job seekers on identity's real database: registration by staff and by the person (answering
alike whether or not the email is registered), profile and availability, ID documents and their
review, approval that needs verified documents, approval per job type, suspension and
reinstatement, the eligibility booking asks about, and each CBO seeing only its own."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from chassis.context import Caller
from chassis.errors import Conflict, NotFound, Unauthenticated, ValidationFailed
from chassis.uploads import Upload
from services.identity.accounts import domain as accounts
from services.identity.accounts import invitations
from services.identity.accounts.models import Account
from services.identity.jobseekers import domain as jobseekers
from services.identity.jobseekers.schemas import ProfileUpdateSchema, SelfRegistrationSchema
from services.identity.staff import domain as staff
from services.identity.tenants import domain as projections
from tests.domain.outbox import Outbox
from tests.factories import (
    PASSWORD,
    PNG,
    TOKEN_SETTINGS,
    a_document,
    a_jobseeker,
    a_projected_cbo,
    a_projected_source,
    caller_of,
    emailed_link,
    jobseeker_details,
    later_cbo_status,
    link_token,
    staff_caller,
    token_in,
)

SERVICE = "identity"

# The first page of a list, in its default order.
FIRST_PAGE = {"page": 1, "per_page": 50, "sort": "created_at"}
REQUIRED = ["photo_id", "work_authorization"]


@pytest.fixture
def cbo(uow):
    return a_projected_cbo(uow, name="Harbor CBO")


def register_self(uow, slug: str, email: str, **details) -> None:
    data = SelfRegistrationSchema().load(jobseeker_details(email, password=PASSWORD, **details))
    jobseekers.register_self(uow, caller=Caller(), slug=slug, data=data)


def account_by_email(uow, tenant_id: str, email: str) -> Account:
    account = accounts.find_account(uow, email=email, tenant_id=tenant_id)
    assert account is not None
    return account


def sign_in(uow, email: str, slug: str) -> dict:
    return accounts.sign_in(uow, email=email, password=PASSWORD, settings=TOKEN_SETTINGS, slug=slug)


def update(uow, caller, jobseeker, **changes) -> jobseekers.Jobseeker:
    return jobseekers.update_profile(
        uow,
        caller=caller,
        tenant_id=jobseeker.profile.tenant_id,
        jobseeker_id=jobseeker.id,
        changes=ProfileUpdateSchema().load(changes),
    )


def ids(jobseeker) -> dict[str, str]:
    return {"tenant_id": jobseeker.profile.tenant_id, "jobseeker_id": jobseeker.id}


def approver(jobseeker) -> Caller:
    return staff_caller(jobseeker.profile.tenant_id, role="approver")


# -- registration ------------------------------------------------------------------------------


def test_staff_register_a_pending_jobseeker_who_is_invited_and_audited(uow, cbo):
    source = a_projected_source(uow, tenant_id=cbo.tenant_id)
    owner = staff_caller(cbo.tenant_id)
    sent = Outbox(uow)
    maria = a_jobseeker(
        uow,
        tenant_id=cbo.tenant_id,
        caller=owner,
        email="Maria@example.org",
        source_id=source.source_id,
    )
    view = jobseekers.view(uow, jobseeker=maria)
    assert (view["status"], view["account_status"], view["channel"]) == (
        "pending",
        "invited",
        "staff",
    )
    assert (view["email"], view["name"], view["tenant_id"]) == (
        "Maria@example.org",
        "Maria Lopez",
        cbo.tenant_id,
    )
    assert view["skills"] == ["home care", "cooking"] and view["languages"] == ["es"]
    assert view["missing_documents"] == REQUIRED and view["job_types"] == []
    assert view["availability"] == {"weekly": {}, "exceptions": []}
    assert sent.types() == [
        "account.created",
        "jobseeker.registered",
        "jobseeker.profile_changed",
        "invitation.created",
        "audit.recorded",
    ]
    registered = sent.one("jobseeker.registered")
    assert registered["tenant_id"] == cbo.tenant_id
    assert registered["data"] == {
        "jobseeker_id": maria.id,
        "source_id": source.source_id,
        "channel": "staff",
    }
    # The whole profile, for those who keep a copy of it (booking's read model of workers).
    profile = sent.one("jobseeker.profile_changed")
    assert profile["tenant_id"] == cbo.tenant_id
    assert profile["data"] == {
        "jobseeker_id": maria.id,
        "name": "Maria Lopez",
        "skills": ["home care", "cooking"],
        "languages": ["es"],
        "home_area": "90813",
        "source_id": source.source_id,
        "availability": {"weekly": {}, "exceptions": []},
        "status": "pending",
    }
    [trail] = sent.audit()
    assert (trail["action"], trail["actor_id"], trail["entity_id"]) == (
        "jobseeker.registered",
        owner.user_id,
        maria.id,
    )
    assert trail["after"]["email"] == "Maria@example.org" and "password" not in str(trail)
    # Invited, they set a password and sign in.
    invitations.accept_invitation(
        uow, token=link_token(uow, maria.id), password=PASSWORD, settings=TOKEN_SETTINGS
    )
    assert sign_in(uow, "maria@example.org", cbo.slug)["access_token"]


def test_self_registration_waits_for_the_email_to_be_confirmed(uow, cbo):
    sent = Outbox(uow)
    register_self(uow, cbo.slug, "maria@example.org")
    maria = account_by_email(uow, cbo.tenant_id, "maria@example.org")
    assert maria.status == "invited" and maria.password_hash
    assert sent.types() == [
        "account.created",
        "jobseeker.registered",
        "jobseeker.profile_changed",
        "invitation.created",
    ]
    assert sent.one("jobseeker.registered")["data"]["channel"] == "self"  # no audit entry
    assert sent.one("jobseeker.profile_changed")["data"]["status"] == "pending"
    with pytest.raises(Unauthenticated) as unconfirmed:
        sign_in(uow, "maria@example.org", cbo.slug)
    assert unconfirmed.value.message == accounts.WRONG_CREDENTIALS

    email = emailed_link(uow, maria.id, invitations.EMAIL_CONFIRMATION)
    assert "Confirm your email" in email.subject and "/confirm-email?token=" in email.text
    tokens = invitations.confirm_email(uow, token=token_in(email), settings=TOKEN_SETTINGS)
    assert tokens["access_token"] and maria.status == "active"
    assert sent.events()[-1]["event_type"] == "account.activated"
    assert sign_in(uow, "MARIA@example.org", cbo.slug)["access_token"]
    with pytest.raises(ValidationFailed):  # the link works once
        invitations.confirm_email(uow, token=token_in(email), settings=TOKEN_SETTINGS)


def test_a_registered_email_gets_the_same_answer_and_its_owner_a_notice(uow, cbo):
    """Fault 6: self-registration answered "That email is already registered"."""
    maria = a_jobseeker(uow, tenant_id=cbo.tenant_id, email="maria@example.org", signed_up=True)
    sent = Outbox(uow)
    assert register_self(uow, cbo.slug, "Maria@Example.org", name="Somebody Else") is None
    assert sent.types() == ["password_reset.requested"]  # nothing registered
    notice = emailed_link(uow, maria.id, invitations.REGISTRATION_NOTICE)
    assert "tried to register" in notice.subject and "/reset-password?token=" in notice.text
    invitations.confirm_password_reset(uow, token=token_in(notice), password="a new password!")
    assert maria.account.display_name == "Maria Lopez"
    # Notices count toward the reset emails an account may be sent in an hour.
    for _ in range(5):
        register_self(uow, cbo.slug, "maria@example.org")
    assert len(sent.events("password_reset.requested")) == invitations.MAX_RESETS_PER_HOUR
    # The same email may register with another CBO.
    other = a_projected_cbo(uow)
    register_self(uow, other.slug, "maria@example.org")
    assert account_by_email(uow, other.tenant_id, "maria@example.org").id != maria.id


def test_a_self_registration_hashes_the_password_whether_or_not_the_email_is_registered(
    uow, cbo, monkeypatch
):
    a_jobseeker(uow, tenant_id=cbo.tenant_id, email="maria@example.org")
    hashed: list[str] = []

    class Counting(PasswordHasher):
        def hash(self, password, *, salt=None) -> str:
            hashed.append(password)
            return super().hash(password, salt=salt)

    monkeypatch.setattr(accounts, "_hasher", Counting(time_cost=1, memory_cost=1024, parallelism=1))
    register_self(uow, cbo.slug, "maria@example.org")
    register_self(uow, cbo.slug, "ana@example.org")
    assert hashed == [PASSWORD, PASSWORD]


def test_self_registration_needs_an_active_cbo_and_one_of_its_worker_sources(uow, cbo):
    theirs = a_projected_source(uow, tenant_id=a_projected_cbo(uow).tenant_id)
    paused = later_cbo_status(uow, a_projected_cbo(uow), projections.SUSPENDED)
    sent = Outbox(uow)
    for slug in ("no-such-cbo", paused.slug):
        with pytest.raises(NotFound):
            register_self(uow, slug, "maria@example.org")
    with pytest.raises(ValidationFailed) as foreign:
        register_self(uow, cbo.slug, "maria@example.org", source_id=theirs.source_id)
    assert set(foreign.value.fields) == {"source_id"}
    with pytest.raises(ValidationFailed):
        a_jobseeker(uow, tenant_id=cbo.tenant_id, source_id=theirs.source_id)
    assert sent.events() == []
    assert uow.session.execute(select(func.count()).select_from(Account)).scalar_one() == 0


# -- profile and availability ------------------------------------------------------------------


def test_a_jobseekers_own_edits_are_kept_without_an_audit_entry(uow, cbo):
    maria = a_jobseeker(uow, tenant_id=cbo.tenant_id, signed_up=True)
    me = caller_of(uow, maria.account)
    assert jobseekers.own(uow, caller=me).id == maria.id
    sent = Outbox(uow)
    week = {
        "weekly": {
            "tuesday": [{"start": "13:00", "end": "17:00"}, {"start": "08:00", "end": "12:00"}]
        },
        "exceptions": [{"date": "2026-12-25", "kind": "unavailable"}],
    }
    update(
        uow, me, maria, availability=week, skills=["Driving", "driving"], preferred_language="km"
    )
    view = jobseekers.view(uow, jobseeker=jobseekers.own(uow, caller=me))
    assert view["availability"] == {
        "weekly": {
            "tuesday": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}]
        },
        "exceptions": [{"date": "2026-12-25", "kind": "unavailable", "slots": []}],
    }
    assert view["skills"] == ["driving"] and view["phone"] == "(562) 555-0100"
    # A new app language joins the languages they speak.
    assert (view["preferred_language"], view["languages"]) == ("km", ["es", "km"])
    # No audit entry; the profile as it is now, for those who keep a copy of it.
    [changed] = sent.events()
    assert changed["event_type"] == "jobseeker.profile_changed"
    assert changed["data"]["availability"] == view["availability"]
    assert (changed["data"]["skills"], changed["data"]["languages"]) == (["driving"], ["es", "km"])
    # A change of what the event does not carry (the phone) sends none.
    update(uow, me, maria, phone="(562) 555-0199")
    assert len(sent.events()) == 1


def test_staff_edits_are_audited_with_only_what_changed(uow, cbo):
    maria = a_jobseeker(uow, tenant_id=cbo.tenant_id, email="maria@example.org")
    a_jobseeker(uow, tenant_id=cbo.tenant_id, email="ana@example.org")
    manager = staff_caller(cbo.tenant_id, role="admin")
    sent = Outbox(uow)
    update(uow, manager, maria, home_area="90802", name="Maria Lopez")
    assert sent.one("jobseeker.profile_changed")["data"]["home_area"] == "90802"
    [trail] = sent.audit()
    assert (trail["action"], trail["actor_id"], trail["entity_id"]) == (
        "jobseeker.updated",
        manager.user_id,
        maria.id,
    )
    assert (trail["before"], trail["after"]) == ({"home_area": "90813"}, {"home_area": "90802"})
    update(uow, manager, maria, home_area="90802")  # nothing new: nothing recorded
    assert sent.types() == ["jobseeker.profile_changed", "audit.recorded"]

    with pytest.raises(Conflict) as taken:
        update(uow, manager, maria, email="ANA@example.org")
    assert set(taken.value.fields) == {"email"}
    assert update(uow, manager, maria, email="MARIA@example.org").account.email == (
        "MARIA@example.org"  # a change of case only
    )
    moved = update(uow, manager, maria, email="m.lopez@example.org")
    assert accounts.find_account(uow, email="M.Lopez@example.org", tenant_id=cbo.tenant_id) is (
        moved.account
    )
    other_source = a_projected_source(uow, tenant_id=a_projected_cbo(uow).tenant_id)
    with pytest.raises(ValidationFailed) as foreign:
        update(uow, manager, maria, source_id=other_source.source_id)
    assert set(foreign.value.fields) == {"source_id"}
    ours = a_projected_source(uow, tenant_id=cbo.tenant_id)
    assert update(uow, manager, maria, source_id=ours.source_id).profile.source_id == ours.source_id


def test_staff_list_jobseekers_by_status_skill_source_job_type_and_search(uow, cbo):
    college = a_projected_source(uow, tenant_id=cbo.tenant_id)
    people = {
        "driver": a_jobseeker(uow, tenant_id=cbo.tenant_id, name="Dee Driver", skills=["driving"]),
        "cook": a_jobseeker(
            uow, tenant_id=cbo.tenant_id, name="Cy Cook", skills=["cooking"], phone="562 555 0199"
        ),
        "student": a_jobseeker(
            uow, tenant_id=cbo.tenant_id, name="Stu 50%_off", source_id=college.source_id, skills=[]
        ),
        "carer": a_jobseeker(
            uow,
            tenant_id=cbo.tenant_id,
            name="Cara Carer",
            status="approved",
            job_types=["home_care"],
        ),
    }

    def found(**filters) -> set[str]:
        page = jobseekers.list_jobseekers(uow, tenant_id=cbo.tenant_id, **filters)
        by_id = {p.id: name for name, p in people.items()}
        return {by_id[item["id"]] for item in page["items"]}

    assert found() == set(people)
    assert found(skill="driving") == {"driver"}
    assert found(source_id=college.source_id) == {"student"}
    assert found(status="approved") == found(job_type="home_care") == {"carer"}
    assert found(status="pending", skill="cooking") == {"cook"}
    assert found(search="CARA") == {"carer"}
    assert found(search="0199") == {"cook"}  # the phone
    assert found(search="50%_") == {"student"}
    assert found(search="C%r") == found(search="D_e") == set()  # wildcards are themselves
    first = jobseekers.list_jobseekers(uow, tenant_id=cbo.tenant_id, page=1, per_page=3)
    second = jobseekers.list_jobseekers(uow, tenant_id=cbo.tenant_id, page=2, per_page=3)
    assert (first["total"], len(first["items"]), len(second["items"])) == (4, 3, 1)
    assert {i["id"] for i in first["items"] + second["items"]} == {p.id for p in people.values()}
    assert set(first["items"][0]) == {
        "id",
        "email",
        "name",
        "phone",
        "home_area",
        "skills",
        "source_id",
        "status",
        "account_status",
        "created_at",
    }


# -- documents ---------------------------------------------------------------------------------


def test_a_document_is_kept_privately_with_its_event_and_an_audit_entry_for_staff(uow, cbo):
    maria = a_jobseeker(uow, tenant_id=cbo.tenant_id)
    sent = Outbox(uow)
    own = jobseekers.add_document(
        uow,
        caller=caller_of(uow, maria.account),
        **ids(maria),
        document_type="photo_id",
        upload=Upload(filename="me.png", content_type="image/png", data=PNG),
    )
    assert (own.status, own.uploaded_by, own.size_bytes) == ("pending", maria.id, len(PNG))
    assert own.sha256 == hashlib.sha256(PNG).hexdigest()
    assert sent.one("document.uploaded")["data"] == {
        "jobseeker_id": maria.id,
        "document_id": own.id,
        "document_type": "photo_id",
    }
    assert sent.audit() == []  # their own upload
    by_staff = a_document(uow, **ids(maria), document_type="other")
    assert sent.audit()[0]["action"] == "document.uploaded"
    listed = jobseekers.list_documents(uow, **ids(maria), **FIRST_PAGE)["items"]
    assert {d["id"] for d in listed} == {own.id, by_staff.id}
    assert "content" not in listed[0]  # the bytes come only as a file
    assert jobseekers.document_file(uow, **ids(maria), document_id=own.id) == (
        "me.png",
        "image/png",
        PNG,
    )
    with pytest.raises(NotFound):  # a document is reached only through its job seeker
        other = a_jobseeker(uow, tenant_id=cbo.tenant_id)
        jobseekers.document_file(uow, **ids(other), document_id=own.id)


def test_staff_verify_or_reject_a_document_with_a_reason_and_may_change_their_mind(uow, cbo):
    maria = a_jobseeker(uow, tenant_id=cbo.tenant_id)
    photo = a_document(uow, **ids(maria))
    checker = approver(maria)

    def review(verified: bool, reason: str | None = None):
        return jobseekers.review_document(
            uow,
            caller=checker,
            **ids(maria),
            document_id=photo.id,
            verified=verified,
            reason=reason,
        )

    sent = Outbox(uow)
    with pytest.raises(ValidationFailed) as no_reason:
        review(False)
    assert set(no_reason.value.fields) == {"reason"}
    rejected = review(False, "Blurred")
    assert (rejected.status, rejected.reason, rejected.reviewed_by) == (
        "rejected",
        "Blurred",
        checker.user_id,
    )
    assert sent.one("document.rejected")["data"]["reason"] == "Blurred"
    with pytest.raises(Conflict, match="already rejected"):
        review(False, "Again")
    verified = review(True)
    assert (verified.status, verified.reason) == ("verified", None)
    assert sent.one("document.verified")["data"] == {
        "jobseeker_id": maria.id,
        "document_id": photo.id,
        "document_type": "photo_id",
    }
    trail = sent.audit()
    assert [t["action"] for t in trail] == ["document.rejected", "document.verified"]
    assert trail[1]["before"] == {"status": "rejected", "reason": "Blurred"}
    assert jobseekers.missing_documents(uow, **ids(maria)) == ["work_authorization"]


# -- approval, job types, suspension -----------------------------------------------------------


def test_approval_needs_every_required_document_verified(uow, cbo):
    maria = a_jobseeker(uow, tenant_id=cbo.tenant_id, verified=["photo_id", "proof_of_address"])
    a_document(uow, **ids(maria), document_type="work_authorization", status="rejected")
    sent = Outbox(uow)
    with pytest.raises(Conflict) as refused:
        jobseekers.approve(uow, caller=approver(maria), **ids(maria))
    assert "work_authorization" in refused.value.message
    assert refused.value.fields == {"documents": ["work_authorization is not verified."]}
    assert sent.events() == []

    a_document(uow, **ids(maria), document_type="work_authorization", status="verified")
    sent = Outbox(uow)
    approved = jobseekers.approve(uow, caller=approver(maria), **ids(maria))
    view = jobseekers.view(uow, jobseeker=approved)
    assert (view["status"], view["missing_documents"]) == ("approved", [])
    assert view["approved_at"] and approved.profile.approved_by
    assert sent.types() == ["jobseeker.approved", "audit.recorded"]
    assert sent.one("jobseeker.approved")["data"] == {"jobseeker_id": maria.id}
    with pytest.raises(Conflict, match="already approved"):
        jobseekers.approve(uow, caller=approver(maria), **ids(maria))


def test_a_job_type_is_approved_once_and_only_for_an_approved_jobseeker(uow, cbo):
    pending = a_jobseeker(uow, tenant_id=cbo.tenant_id)
    with pytest.raises(Conflict, match="Approve the job seeker first"):
        jobseekers.approve_job_type(
            uow, caller=approver(pending), **ids(pending), job_type="home_care"
        )
    maria = a_jobseeker(uow, tenant_id=cbo.tenant_id, status="approved")
    sent = Outbox(uow)
    jobseekers.approve_job_type(uow, caller=approver(maria), **ids(maria), job_type="home_care")
    jobseekers.approve_job_type(uow, caller=approver(maria), **ids(maria), job_type="cleaning")
    assert jobseekers.view(uow, jobseeker=maria)["job_types"] == ["cleaning", "home_care"]
    assert sent.events("jobseeker.jobtype_approved")[0]["data"] == {
        "jobseeker_id": maria.id,
        "job_type": "home_care",
    }
    assert [t["after"] for t in sent.audit()] == [
        {"job_type": "home_care"},
        {"job_type": "cleaning"},
    ]
    with pytest.raises(Conflict, match="already approved for home_care"):
        jobseekers.approve_job_type(uow, caller=approver(maria), **ids(maria), job_type="home_care")


def test_suspension_keeps_the_approval_that_reinstatement_restores(uow, cbo):
    maria = a_jobseeker(uow, tenant_id=cbo.tenant_id, status="approved", job_types=["home_care"])
    approved_at = maria.profile.approved_at
    sent = Outbox(uow)
    suspended = jobseekers.suspend(uow, caller=approver(maria), **ids(maria), reason="No-shows")
    view = jobseekers.view(uow, jobseeker=suspended)
    assert (view["status"], view["suspension_reason"]) == ("suspended", "No-shows")
    assert view["suspended_at"] and view["job_types"] == ["home_care"]
    assert sent.one("jobseeker.suspended")["data"] == {
        "jobseeker_id": maria.id,
        "reason": "No-shows",
    }
    with pytest.raises(Conflict, match="already suspended"):
        jobseekers.suspend(uow, caller=approver(maria), **ids(maria), reason="Again")
    with pytest.raises(Conflict, match="reinstate them instead"):
        jobseekers.approve(uow, caller=approver(maria), **ids(maria))
    with pytest.raises(Conflict, match="they are suspended"):
        jobseekers.approve_job_type(uow, caller=approver(maria), **ids(maria), job_type="cleaning")

    back = jobseekers.reinstate(uow, caller=approver(maria), **ids(maria), reason="Talked it over")
    view = jobseekers.view(uow, jobseeker=back)
    assert (view["status"], view["suspension_reason"], view["suspended_at"]) == (
        "approved",
        None,
        None,
    )
    assert back.profile.approved_at == approved_at
    assert sent.one("jobseeker.reinstated")["data"] == {
        "jobseeker_id": maria.id,
        "reason": "Talked it over",
    }
    assert [t["action"] for t in sent.audit()] == ["jobseeker.suspended", "jobseeker.reinstated"]
    with pytest.raises(Conflict, match="not suspended"):
        jobseekers.reinstate(uow, caller=approver(maria), **ids(maria), reason="Again")


def test_a_suspended_pending_jobseeker_is_reinstated_as_pending(uow, cbo):
    maria = a_jobseeker(uow, tenant_id=cbo.tenant_id, verified=REQUIRED)
    jobseekers.suspend(uow, caller=approver(maria), **ids(maria), reason="Fake documents")
    with pytest.raises(Conflict):
        jobseekers.approve(uow, caller=approver(maria), **ids(maria))
    back = jobseekers.reinstate(uow, caller=approver(maria), **ids(maria), reason="Cleared")
    assert back.profile.status == "pending"


# -- eligibility -------------------------------------------------------------------------------


def test_only_an_approved_jobseeker_approved_for_the_job_type_and_not_suspended_is_eligible(
    uow, cbo
):
    eligible = a_jobseeker(uow, tenant_id=cbo.tenant_id, status="approved", job_types=["home_care"])
    other_type = a_jobseeker(
        uow, tenant_id=cbo.tenant_id, status="approved", job_types=["cleaning"]
    )
    pending = a_jobseeker(uow, tenant_id=cbo.tenant_id)
    suspended = a_jobseeker(
        uow, tenant_id=cbo.tenant_id, status="suspended", job_types=["home_care"]
    )

    def reasons(jobseeker_id: str) -> list[str]:
        answer = jobseekers.eligibility(
            uow, tenant_id=cbo.tenant_id, jobseeker_id=jobseeker_id, job_type="home_care"
        )
        assert answer["eligible"] == (not answer["reasons"])
        assert (answer["jobseeker_id"], answer["job_type"]) == (jobseeker_id, "home_care")
        return answer["reasons"]

    assert reasons(eligible.id) == []
    assert reasons(other_type.id) == ["The job seeker is not approved for home_care."]
    assert reasons(pending.id) == [
        "The job seeker is not approved yet.",
        "The job seeker is not approved for home_care.",
    ]
    assert reasons(suspended.id) == ["The job seeker is suspended."]
    assert reasons(str(uuid.uuid4())) == ["There is no such job seeker in this CBO."]
    everyone = [eligible.id, other_type.id, pending.id, suspended.id]
    listed = jobseekers.eligible_jobseekers(uow, tenant_id=cbo.tenant_id, job_type="home_care")
    assert listed == [eligible.id]
    among = jobseekers.eligible_jobseekers(
        uow, tenant_id=cbo.tenant_id, job_type="home_care", among=everyone[1:]
    )
    assert among == []
    jobseekers.reinstate(uow, caller=approver(suspended), **ids(suspended), reason="Back")
    listed = jobseekers.eligible_jobseekers(uow, tenant_id=cbo.tenant_id, job_type="home_care")
    assert listed == sorted([eligible.id, suspended.id])


def test_a_job_type_without_per_job_type_approval_needs_only_the_cbos_approval(uow, cbo):
    approved = a_jobseeker(uow, tenant_id=cbo.tenant_id, status="approved")
    for_the_type = a_jobseeker(
        uow, tenant_id=cbo.tenant_id, status="approved", job_types=["home_care"]
    )
    pending = a_jobseeker(uow, tenant_id=cbo.tenant_id)
    suspended = a_jobseeker(
        uow, tenant_id=cbo.tenant_id, status="suspended", job_types=["home_care"]
    )
    everyone = [approved.id, for_the_type.id, pending.id, suspended.id]

    def eligible(needs: bool, among=everyone) -> list[str]:
        return jobseekers.eligible_jobseekers(
            uow,
            tenant_id=cbo.tenant_id,
            job_type="home_care",
            among=among,
            needs_job_type_approval=needs,
        )

    assert eligible(False) == sorted([approved.id, for_the_type.id])
    assert eligible(True) == [for_the_type.id]
    assert eligible(False, among=None) == sorted([approved.id, for_the_type.id])
    assert eligible(False, among=[pending.id, suspended.id, str(uuid.uuid4())]) == []


def test_a_deactivated_account_is_never_eligible(uow, cbo):
    maria = a_jobseeker(uow, tenant_id=cbo.tenant_id, status="approved", job_types=["home_care"])
    staff.deactivate(
        uow,
        caller=staff_caller(cbo.tenant_id),
        tenant_id=cbo.tenant_id,
        account_id=maria.id,
        kind="jobseeker",
    )
    for needs in (True, False):
        assert (
            jobseekers.eligible_jobseekers(
                uow,
                tenant_id=cbo.tenant_id,
                job_type="home_care",
                among=[maria.id],
                needs_job_type_approval=needs,
            )
            == []
        )
    staff.reactivate(
        uow,
        caller=staff_caller(cbo.tenant_id),
        tenant_id=cbo.tenant_id,
        account_id=maria.id,
        kind="jobseeker",
    )
    assert jobseekers.eligible_jobseekers(
        uow, tenant_id=cbo.tenant_id, job_type="home_care", among=[maria.id]
    ) == [maria.id]


def test_the_answer_is_bounded(uow, cbo):
    made = sorted(a_jobseeker(uow, tenant_id=cbo.tenant_id, status="approved").id for _ in range(3))
    listed = jobseekers.eligible_jobseekers(
        uow, tenant_id=cbo.tenant_id, job_type="x", needs_job_type_approval=False, limit=2
    )
    assert listed == made[:2]


# -- whose profile -----------------------------------------------------------------------------


def test_only_a_jobseeker_has_their_own_profile_and_only_in_their_cbo(uow, cbo):
    maria = a_jobseeker(uow, tenant_id=cbo.tenant_id)
    me = caller_of(uow, maria.account)
    assert jobseekers.own(uow, caller=me).id == maria.id
    other = a_projected_cbo(uow)
    client = Caller(
        kind="client",
        user_id=maria.id,
        tenant_id=cbo.tenant_id,
        permissions=frozenset({"self.profile"}),
    )
    for caller in (client, Caller(kind="jobseeker", user_id=maria.id, tenant_id=other.tenant_id)):
        with pytest.raises(NotFound):
            jobseekers.own(uow, caller=caller)


def test_another_cbo_sees_and_touches_none_of_a_cbos_jobseekers(uow, cbo):
    maria = a_jobseeker(uow, tenant_id=cbo.tenant_id, status="approved", job_types=["home_care"])
    photo = jobseekers.list_documents(uow, **ids(maria), **FIRST_PAGE)["items"][0]
    other = a_projected_cbo(uow)
    theirs = staff_caller(other.tenant_id)
    elsewhere = {"tenant_id": other.tenant_id, "jobseeker_id": maria.id}
    upload = Upload(filename="x.png", content_type="image/png", data=PNG)

    assert jobseekers.list_jobseekers(uow, tenant_id=other.tenant_id)["items"] == []
    assert (
        jobseekers.eligible_jobseekers(uow, tenant_id=other.tenant_id, job_type="home_care") == []
    )
    answer = jobseekers.eligibility(uow, **elsewhere, job_type="home_care")
    assert not answer["eligible"]
    sent = Outbox(uow)
    for reach in (
        lambda: jobseekers.get(uow, **elsewhere),
        lambda: jobseekers.update_profile(
            uow, caller=theirs, **elsewhere, changes={"name": "Stolen"}
        ),
        lambda: jobseekers.list_documents(uow, **elsewhere, **FIRST_PAGE),
        lambda: jobseekers.document_file(uow, **elsewhere, document_id=photo["id"]),
        lambda: jobseekers.add_document(
            uow, caller=theirs, **elsewhere, document_type="other", upload=upload
        ),
        lambda: jobseekers.review_document(
            uow, caller=theirs, **elsewhere, document_id=photo["id"], verified=False, reason="x"
        ),
        lambda: jobseekers.approve(uow, caller=theirs, **elsewhere),
        lambda: jobseekers.approve_job_type(uow, caller=theirs, **elsewhere, job_type="cleaning"),
        lambda: jobseekers.suspend(uow, caller=theirs, **elsewhere, reason="x"),
        lambda: jobseekers.reinstate(uow, caller=theirs, **elsewhere, reason="x"),
    ):
        with pytest.raises(NotFound):
            reach()
    assert sent.events() == [] and maria.account.display_name == "Maria Lopez"
