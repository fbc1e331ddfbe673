"""Job seekers in the identity service, on the real broker and its migrated database: what only
a running service shows. Registration's emails sent by identity's own handlers, errors crossing
RPC as the right DomainError with their fields, files crossing intact, each entrypoint's
permission and the CBO taken from the caller, eligibility asked by other services; and the CSV
import (dry run, both modes, re-runs, resume after a crash, 1,000 rows with 20 bad).

What the job-seeker domain functions do (registration, profile, documents, approval per job
type, suspension, eligibility, isolation) is tested without nameko in
tests/domain/test_identity_jobseekers.py."""

from __future__ import annotations

import base64
import dataclasses
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from chassis.context import Caller, context_data_for
from chassis.contracts.permissions import permissions_for
from chassis.db import UnitOfWork, make_engine
from chassis.entrypoints import declare_topology
from chassis.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthenticated,
    UnsupportedMediaType,
    ValidationFailed,
)
from chassis.jobs import Job, StepResult, run_job
from chassis.tables import background_jobs, outbox
from chassis.tokens import ACCESS, verify
from deploy.migrate import migrate
from services.identity.accounts.models import Account, Invitation
from services.identity.jobseeker_imports import domain as jobseeker_import
from services.identity.jobseeker_imports.domain import IMPORT_JOB
from services.identity.jobseeker_imports.models import JobseekerImport
from services.identity.jobseekers.models import JobseekerProfile
from services.identity.service import IdentityService
from services.identity.tenants.models import SourceRef, Tenant
from tests import jobseeker_csv
from tests.factories import a_jobseeker
from tests.jobseeker_csv import bad_rows, people_csv
from tests.smtp import link_token
from tests.waiting import wait_for

PASSWORD = "a long enough password"
HARBOR = str(uuid.uuid4())
BAY = str(uuid.uuid4())
COLLEGE = str(uuid.uuid4())  # a worker source of Harbor
BAY_SOURCE = str(uuid.uuid4())

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64

CSV_HEADER = jobseeker_csv.HEADER


@pytest.fixture(scope="module")
def identity_engine(settings):
    migrate(settings, ["identity"], quiet=True)
    engine = make_engine(settings.database_url("identity"))
    yield engine
    engine.dispose()


@pytest.fixture
def db(identity_engine):
    """An empty identity database with two CBOs and their worker sources (the projection
    identity keeps from tenancy's events, written directly here)."""
    with identity_engine.begin() as conn:
        # A killed container can leave a worker's transaction open (an invitation email in
        # flight): end those sessions, or TRUNCATE would wait for their locks forever.
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND state LIKE 'idle in transaction%'"
            )
        )
        names = [t for t in identity_engine.dialect.get_table_names(conn) if t != "alembic_version"]
        conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
    now = datetime.now(UTC)
    with Session(identity_engine) as session:
        session.add_all(
            [
                Tenant(
                    tenant_id=HARBOR,
                    slug="harbor",
                    name="Harbor CBO",
                    status="active",
                    changed_at=now,
                ),
                Tenant(tenant_id=BAY, slug="bay", name="Bay CBO", status="active", changed_at=now),
                SourceRef(source_id=COLLEGE, tenant_id=HARBOR, name="Long Beach City College"),
                SourceRef(source_id=BAY_SOURCE, tenant_id=BAY, name="Bay Youth"),
            ]
        )
        session.commit()
    return identity_engine


def new_unit(engine) -> Callable[[], UnitOfWork]:
    return lambda: UnitOfWork(Session(engine, expire_on_commit=False), source="identity")


def staff(tenant_id: str = HARBOR, roles: tuple[str, ...] = ("owner",)) -> Caller:
    return Caller(
        kind="staff",
        user_id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        roles=roles,
        permissions=permissions_for(list(roles)),
    )


def seeker(account_id: str, tenant_id: str = HARBOR) -> Caller:
    return Caller(
        kind="jobseeker",
        user_id=account_id,
        tenant_id=tenant_id,
        roles=("jobseeker",),
        permissions=permissions_for(["jobseeker"]),
    )


class Identity:
    def __init__(self, config: dict, settings, smtp) -> None:
        self.config = config
        self.settings = settings
        self.smtp = smtp

    def call(self, caller: Caller | None, method: str, *args, **kwargs):
        context = context_data_for(caller or Caller(), self.settings.context_secret)
        with ServiceRpcProxy("identity", self.config, context_data=context, timeout=30) as rpc:
            return getattr(rpc, method)(*args, **kwargs)


@pytest.fixture
def identity(container_factory, service_config, settings, db, smtp, tenancy_service):
    config = service_config(smtp_port=smtp.port)
    declare_topology(IdentityService, config)
    container_factory(IdentityService, config).start()
    return Identity(config, settings, smtp)


def registration(email: str = "maria@example.org", **overrides) -> dict:
    return {
        "email": email,
        "password": PASSWORD,
        "name": "Maria Lopez",
        "phone": "(562) 555-0100",
        "preferred_language": "es",
        "home_area": "90813",
        "skills": ["Home care", "cooking"],
        **overrides,
    }


def as_file(data: bytes, filename: str = "id.png") -> dict:
    return {"filename": filename, "data": base64.b64encode(data).decode()}


def events(engine, event_type: str) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.envelope).where(outbox.c.event_type == event_type).order_by(outbox.c.id)
        ).scalars()
        return list(rows)


def count(engine, model, *where) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


ACCEPTED = {
    "status": "accepted",
    "message": "Thank you. We have sent you an email: open its link to confirm your address, "
    "then sign in with your password.",
}


def confirm_email(identity: Identity, email: str, count: int) -> dict:
    """Open the `count`-th email to `email`, a confirmation link, and answer its token pair."""
    message = identity.smtp.wait_for(email, count=count)
    assert "Confirm your email" in message["Subject"], message["Subject"]
    return identity.call(None, "confirm_email", {"token": link_token(message)})


def register_self(identity: Identity, email: str = "maria@example.org", **overrides) -> dict:
    """Self-register with Harbor and confirm the email: the new job seeker's profile."""
    sent = len(identity.smtp.to(email))
    answer = identity.call(None, "register_self", "harbor", registration(email, **overrides))
    assert answer == ACCEPTED
    tokens = confirm_email(identity, email, sent + 1)
    account_id = verify(identity.settings.jwt_secret, tokens["access_token"], token_type=ACCESS)
    return identity.call(seeker(account_id["sub"]), "get_own_profile")


# -- registration ------------------------------------------------------------------------------


def built(engine, make: Callable[[UnitOfWork], object]) -> object:
    """What `make` builds in identity's database (with tests.factories), committed."""
    with Session(engine, expire_on_commit=False) as session:
        uow = UnitOfWork(session, source="identity")
        made = make(uow)
        uow.commit()
        return made


def a_harbor_jobseeker(engine, **options) -> str:
    """The id of a job seeker Harbor's staff registered (see tests.factories.a_jobseeker)."""
    return str(built(engine, lambda uow: a_jobseeker(uow, tenant_id=HARBOR, **options).id))


def test_self_registration_is_confirmed_by_email_before_signing_in(identity, db):
    sent = len(identity.smtp.to("maria@example.org"))
    body = registration(source_id=COLLEGE)
    assert identity.call(None, "register_self", "harbor", body) == ACCEPTED
    sign_in = {"email": "MARIA@example.org", "password": PASSWORD, "tenant_id": HARBOR}
    with pytest.raises(Unauthenticated):
        identity.call(None, "sign_in", sign_in)
    confirmed = confirm_email(identity, "maria@example.org", sent + 1)
    claims = verify(identity.settings.jwt_secret, confirmed["access_token"], token_type=ACCESS)
    profile = identity.call(seeker(claims["sub"]), "get_own_profile")
    assert (profile["status"], profile["account_status"], profile["channel"]) == (
        "pending",
        "active",
        "self",
    )
    assert profile["source_id"] == COLLEGE and profile["tenant_id"] == HARBOR
    assert identity.call(None, "sign_in", sign_in)["access_token"]

    # The same email again: the same answer, and its owner is told by email.
    again = registration("Maria@Example.org", name="Somebody Else")
    assert identity.call(None, "register_self", "harbor", again) == ACCEPTED
    notice = identity.smtp.wait_for("maria@example.org", count=sent + 2)
    assert "tried to register" in notice["Subject"] and "reset-password?token=" in str(notice)
    # Bad input and unknown CBOs cross as themselves.
    with pytest.raises(ValidationFailed) as raised:
        identity.call(
            None,
            "register_self",
            "harbor",
            {"email": "nope", "password": "short", "home_area": "9081", "phone": "12"},
        )
    assert set(raised.value.fields) == {"email", "password", "name", "home_area", "phone"}
    with pytest.raises(NotFound):
        identity.call(None, "register_self", "nowhere", registration())
    assert count(db, Account) == 1


def test_staff_registration_invites_the_person_and_is_audited(identity, db, smtp):
    owner = staff()
    body = {k: v for k, v in registration("invitee@example.org").items() if k != "password"}
    profile = identity.call(owner, "register_jobseeker", body)
    assert profile["account_status"] == "invited" and profile["channel"] == "staff"
    assert count(db, Invitation, Invitation.account_id == profile["id"]) == 1
    assert [e["data"]["channel"] for e in events(db, "jobseeker.registered")] == ["staff"]
    audits = [e["data"] for e in events(db, "audit.recorded")]
    assert audits[-1]["action"] == "jobseeker.registered"
    assert audits[-1]["actor_id"] == owner.user_id
    assert "invitee@example.org" in str(smtp.wait_for("invitee@example.org")["To"])


# -- profile and availability ------------------------------------------------------------------

WEEK = {
    "weekly": {
        "tuesday": [{"start": "13:00", "end": "17:00"}, {"start": "08:00", "end": "12:00"}],
        "saturday": [{"start": "10:00", "end": "24:00"}],
    },
    "exceptions": [{"date": "2026-12-25", "kind": "unavailable"}],
}


def test_a_profile_and_its_availability_cross_rpc(identity, db):
    maria = a_harbor_jobseeker(db)
    me = seeker(maria)
    profile = identity.call(me, "update_own_profile", {"availability": WEEK, "skills": ["Driving"]})
    assert profile["availability"] == {
        "weekly": {
            "tuesday": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
            "saturday": [{"start": "10:00", "end": "24:00"}],
        },
        "exceptions": [{"date": "2026-12-25", "kind": "unavailable", "slots": []}],
    }
    assert identity.call(me, "get_own_profile")["skills"] == ["driving"]
    overlapping = {
        "weekly": {
            "monday": [{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]
        }
    }
    with pytest.raises(ValidationFailed) as raised:
        identity.call(me, "update_own_profile", {"availability": overlapping})
    assert raised.value.fields == {  # nested reasons cross intact
        "availability": {"weekly": {"monday": ["09:00-12:00 overlaps 11:00-13:00."]}}
    }
    manager = staff(roles=("admin",))
    edited = identity.call(manager, "update_jobseeker", maria, {"home_area": "90802"})
    assert edited["home_area"] == "90802"
    with pytest.raises(ValidationFailed) as foreign:  # Bay's source, as tenancy knows it not
        identity.call(manager, "update_jobseeker", maria, {"source_id": BAY_SOURCE})
    assert set(foreign.value.fields) == {"source_id"}


# -- documents ---------------------------------------------------------------------------------


def test_documents_cross_rpc_intact_and_reach_only_those_allowed(identity, db):
    maria = a_harbor_jobseeker(db)
    me = seeker(maria)
    document = identity.call(
        me, "upload_own_document", {"document_type": "photo_id", "file": as_file(PNG, "me.pdf")}
    )
    assert document["content_type"] == "image/png" and document["status"] == "pending"
    with pytest.raises(UnsupportedMediaType):
        identity.call(
            me, "upload_own_document", {"document_type": "other", "file": as_file(b"GIF89a....")}
        )
    with pytest.raises(PayloadTooLarge):
        big = PDF + b"0" * (10 * 1024 * 1024)
        identity.call(me, "upload_own_document", {"document_type": "other", "file": as_file(big)})
    with pytest.raises(ValidationFailed) as raised:
        identity.call(
            me, "upload_own_document", {"document_type": "passport", "file": as_file(PDF)}
        )
    assert set(raised.value.fields) == {"document_type"}

    mine = identity.call(me, "download_own_document", document["id"])
    assert base64.b64decode(mine["data"]) == PNG and mine["content_type"] == "image/png"
    for reader in (staff(roles=("viewer",)), staff(roles=("approver",))):
        got = identity.call(reader, "download_document", maria, document["id"])
        assert base64.b64decode(got["data"]) == PNG
    # Nobody else: not another job seeker, not staff without the permission, not another CBO.
    other = seeker(a_harbor_jobseeker(db))
    with pytest.raises(NotFound):
        identity.call(other, "download_own_document", document["id"])
    with pytest.raises(Forbidden):
        identity.call(staff(roles=("finance",)), "download_document", maria, document["id"])
    with pytest.raises(NotFound):
        identity.call(staff(BAY), "download_document", maria, document["id"])
    with pytest.raises(Unauthenticated):
        identity.call(None, "download_document", maria, document["id"])


# -- review, approval, suspension, eligibility -------------------------------------------------


def test_reviews_and_approvals_cross_rpc_with_their_reasons(identity, db):
    maria = a_harbor_jobseeker(db, verified=["photo_id"])
    manager, approver = staff(roles=("admin",)), staff(roles=("approver",))
    papers = identity.call(
        manager,
        "upload_document",
        maria,
        {"document_type": "work_authorization", "file": as_file(JPEG)},
    )
    with pytest.raises(ValidationFailed) as blank:
        identity.call(approver, "reject_document", maria, papers["id"], {"reason": " "})
    assert "reason" in blank.value.fields
    rejected = identity.call(
        approver, "reject_document", maria, papers["id"], {"reason": "Blurred"}
    )
    assert rejected["status"] == "rejected" and rejected["reason"] == "Blurred"
    with pytest.raises(Conflict) as refused:
        identity.call(approver, "approve_jobseeker", maria)
    assert refused.value.fields == {"documents": ["work_authorization is not verified."]}
    with pytest.raises(Forbidden):
        identity.call(staff(roles=("viewer",)), "verify_document", maria, papers["id"])
    verified = identity.call(approver, "verify_document", maria, papers["id"])
    assert verified["status"] == "verified" and verified["reviewed_by"] == approver.user_id
    approved = identity.call(approver, "approve_jobseeker", maria)
    assert approved["status"] == "approved" and approved["missing_documents"] == []
    with pytest.raises(ValidationFailed):
        identity.call(approver, "approve_job_type", maria, {"job_type": "Home Care!"})
    profile = identity.call(approver, "approve_job_type", maria, {"job_type": "home_care"})
    assert profile["job_types"] == ["home_care"]
    with pytest.raises(ValidationFailed):
        identity.call(approver, "suspend_jobseeker", maria, {})
    suspended = identity.call(approver, "suspend_jobseeker", maria, {"reason": "No-shows"})
    assert suspended["status"] == "suspended" and suspended["suspension_reason"] == "No-shows"
    reinstated = identity.call(approver, "reinstate_jobseeker", maria, {"reason": "Talked"})
    assert reinstated["status"] == "approved"


def test_eligibility_is_answered_within_the_callers_cbo(identity, db):
    maria = a_harbor_jobseeker(db, status="approved", job_types=["home_care"])
    scheduler = staff(roles=("scheduler",))  # booking asks on behalf of its caller
    assert identity.call(scheduler, "is_eligible", maria, "home_care") == {
        "jobseeker_id": maria,
        "job_type": "home_care",
        "eligible": True,
        "reasons": [],
    }
    assert identity.call(scheduler, "eligible_jobseekers", "home_care") == [maria]
    assert identity.call(scheduler, "eligible_jobseekers", "home_care", [maria, "x"]) == [maria]
    assert not identity.call(scheduler, "is_eligible", maria, "forklift")["eligible"]
    # Another CBO never sees Maria as eligible, and may not ask about Harbor.
    assert identity.call(staff(BAY), "eligible_jobseekers", "home_care") == []
    assert not identity.call(staff(BAY), "is_eligible", maria, "home_care")["eligible"]
    with pytest.raises(Forbidden):
        identity.call(staff(BAY), "eligible_jobseekers", "home_care", tenant_id=HARBOR)
    with pytest.raises(Unauthenticated):
        identity.call(None, "is_eligible", maria, "home_care")
    # A platform-wide job (a system caller of no CBO) names the CBO.
    assert identity.call(
        Caller.system(service="booking"), "eligible_jobseekers", "home_care", tenant_id=HARBOR
    ) == [maria]


# -- permissions and tenant isolation ----------------------------------------------------------


def test_staff_without_the_permission_are_refused(identity, db):
    maria = a_harbor_jobseeker(db)
    viewer, finance = staff(roles=("viewer",)), staff(roles=("finance",))
    body = {k: v for k, v in registration("x@example.org").items() if k != "password"}
    refused = [
        (viewer, "register_jobseeker", (body,)),
        (viewer, "update_jobseeker", (maria, {"name": "X"})),
        (viewer, "upload_document", (maria, {"document_type": "other", "file": as_file(PDF)})),
        (viewer, "approve_jobseeker", (maria,)),
        (viewer, "approve_job_type", (maria, {"job_type": "cleaning"})),
        (viewer, "suspend_jobseeker", (maria, {"reason": "x"})),
        (viewer, "reinstate_jobseeker", (maria, {"reason": "x"})),
        (viewer, "start_import", ({"file": as_file(b"email,name\na@b.org,A\n")},)),
        (viewer, "list_imports", ({},)),
        (finance, "list_jobseekers", ({},)),
        (finance, "get_jobseeker", (maria,)),
        (finance, "list_documents", (maria,)),
        (seeker(maria), "list_jobseekers", ({},)),
        (seeker(maria), "approve_jobseeker", (maria,)),
    ]
    for caller, method, args in refused:
        with pytest.raises(Forbidden):
            identity.call(caller, method, *args)
    for method, args in [
        ("get_own_profile", ()),
        ("list_jobseekers", ({},)),
        ("get_import", ("x",)),
    ]:
        with pytest.raises(Unauthenticated):
            identity.call(None, method, *args)
    # A client user holds self.profile too, but has no job-seeker profile.
    client = Caller(
        kind="client",
        user_id=str(uuid.uuid4()),
        tenant_id=HARBOR,
        permissions=frozenset({"self.profile"}),
    )
    with pytest.raises(NotFound):
        identity.call(client, "get_own_profile")
    assert count(db, Account) == 1


def test_another_cbo_sees_none_of_it(identity, db):
    maria = a_harbor_jobseeker(db)
    photo = identity.call(
        seeker(maria), "upload_own_document", {"document_type": "photo_id", "file": as_file(PNG)}
    )
    harbor_import = identity.call(
        staff(),
        "start_import",
        {"file": as_file(b"email,name\nbo@example.org,Bo\n"), "mode": "dry_run"},
    )
    bay = staff(BAY)
    assert identity.call(bay, "list_jobseekers", {})["total"] == 0
    assert identity.call(bay, "list_imports", {})["total"] == 0
    for method, args in [
        ("get_jobseeker", (maria,)),
        ("update_jobseeker", (maria, {"name": "Stolen"})),
        ("list_documents", (maria,)),
        ("download_document", (maria, photo["id"])),
        ("upload_document", (maria, {"document_type": "other", "file": as_file(PDF)})),
        ("verify_document", (maria, photo["id"])),
        ("reject_document", (maria, photo["id"], {"reason": "x"})),
        ("approve_jobseeker", (maria,)),
        ("approve_job_type", (maria, {"job_type": "cleaning"})),
        ("suspend_jobseeker", (maria, {"reason": "x"})),
        ("reinstate_jobseeker", (maria, {"reason": "x"})),
        ("get_import", (harbor_import["id"],)),
        ("list_import_rows", (harbor_import["id"], {})),
        ("resume_import", (harbor_import["id"],)),
    ]:
        with pytest.raises(NotFound):
            identity.call(bay, method, *args)
    # A Harbor job seeker's token is no key to Bay.
    with pytest.raises(NotFound):
        identity.call(seeker(maria, BAY), "get_own_profile")
    with Session(db) as session:
        assert session.get(Account, maria).display_name == "Maria Lopez"


# -- CSV import --------------------------------------------------------------------------------


BAD_ROWS = bad_rows(foreign_source=BAY_SOURCE, staff_email="staff@example.org")


def thousand_rows() -> bytes:
    """1,000 job seekers, 20 of them bad (BAD_ROWS); every 10th from the college by name."""
    return people_csv(1000, bad=BAD_ROWS, source_name="long beach city college")


def person(i: int) -> str:
    return jobseeker_csv.person(i)


def add_staff_account(engine, email: str = "staff@example.org") -> None:
    with Session(engine) as session:
        session.add(
            Account(
                id=str(uuid.uuid4()),
                tenant_id=HARBOR,
                email=email,
                display_name="Staff",
                kind="staff",
                roles=["admin"],
                status="active",
            )
        )
        session.commit()


def start(
    engine, data: bytes, mode: str, on_existing: str = "skip", caller: Caller | None = None
) -> str:
    """Record an import and queue its job as the RPC does (no service running, so nothing
    else runs it)."""
    with Session(engine, expire_on_commit=False) as session:
        uow = UnitOfWork(session, source="identity")
        imported = jobseeker_import.create_import(
            uow,
            caller=caller or staff(roles=("admin",)),
            tenant_id=HARBOR,
            upload=as_file(data, "people.csv"),
            mode=mode,
            on_existing=on_existing,
        )
        uow.commit()
        return imported.id


def job_id_of(engine, import_id: str) -> str:
    with Session(engine) as session:
        return session.execute(
            select(JobseekerImport.job_id).where(JobseekerImport.id == import_id)
        ).scalar_one()


def run(
    engine,
    import_id: str,
    *,
    chunk_size: int = jobseeker_import.CHUNK_SIZE,
    before_commit: Callable[[Job, StepResult], None] | None = None,
) -> str | None:
    """Run the import's job as the service's runner does (chassis.jobs.run_job), in chunks of
    `chunk_size`. `before_commit` sees each step's result just before the runner commits it;
    raising from it is a crash in that step."""

    def step(uow: UnitOfWork, *, job: Job, **params) -> StepResult:
        result = jobseeker_import.import_chunk(uow, job=job, chunk_size=chunk_size, **params)
        if before_commit is not None:
            before_commit(job, result)
        return result

    kinds = {IMPORT_JOB.name: dataclasses.replace(IMPORT_JOB, step=step)}
    return run_job(new_unit(engine), job_id_of(engine, import_id), kinds, owner="test-runner")


def state(engine, import_id: str) -> dict:
    """The import as GET /jobseeker-imports/<id> shows it, with its job's attempts and
    checkpoint."""
    with Session(engine) as session:
        uow = UnitOfWork(session, source="identity")
        view = jobseeker_import.get_import(uow, tenant_id=HARBOR, import_id=import_id)
        job = session.execute(
            select(background_jobs).where(background_jobs.c.id == job_id_of(engine, import_id))
        ).one()
    return {**view, "attempts": job.attempts, "checkpoint": job.checkpoint}


def resume(engine, import_id: str) -> None:
    with Session(engine) as session:
        uow = UnitOfWork(session, source="identity")
        jobseeker_import.resume_import(uow, tenant_id=HARBOR, import_id=import_id)
        uow.commit()


def set_job(engine, import_id: str, **values) -> None:
    """Put the import's job in a state directly (as a process that died would leave it)."""
    with Session(engine) as session:
        session.execute(
            update(background_jobs)
            .where(background_jobs.c.id == job_id_of(engine, import_id))
            .values(**values)
        )
        session.commit()


def report(engine, import_id: str, outcome: str = "failed") -> dict[int, dict]:
    with Session(engine) as session:
        uow = UnitOfWork(session, source="identity")
        rows = jobseeker_import.import_rows(
            uow, tenant_id=HARBOR, import_id=import_id, outcome=outcome, page=1, per_page=1000
        )
    return {r["row"]: r for r in rows["items"]}


def jobseekers_in(engine) -> int:
    return count(engine, JobseekerProfile, JobseekerProfile.tenant_id == HARBOR)


def test_a_dry_run_reports_every_bad_row_and_writes_nobody(db):
    add_staff_account(db)
    import_id = start(db, thousand_rows(), "dry_run")
    assert state(db, import_id)["status"] == "queued"
    assert run(db, import_id, chunk_size=300) == "succeeded"
    job = state(db, import_id)
    assert (job["status"], job["phase"]) == ("completed", "validating")
    assert (job["rows_total"], job["rows_done"], job["created"], job["failed"]) == (
        1000,
        1000,
        980,
        20,
    )
    failed = report(db, import_id)
    # Rows as a spreadsheet numbers them: the header is row 1.
    assert {row - 2: r["errors"] for row, r in failed.items()}.keys() == BAD_ROWS.keys()
    for index, (_, column) in BAD_ROWS.items():
        assert column in failed[index + 2]["errors"], (index, failed[index + 2])
    assert failed[301 + 2]["errors"]["email"] == ["Repeats row 3."]
    assert jobseekers_in(db) == 0 and events(db, "jobseeker.registered") == []


def test_all_or_nothing_rejects_a_file_with_bad_rows_and_writes_a_clean_one(db):
    add_staff_account(db)
    import_id = start(db, thousand_rows(), "all_or_nothing")
    assert run(db, import_id, chunk_size=250) == "succeeded"
    job = state(db, import_id)
    assert job["status"] == "rejected" and job["failed"] == 20 and job["created"] == 0
    assert job["finished_at"] is not None
    assert len(report(db, import_id)) == 20
    assert jobseekers_in(db) == 0 and count(db, Account, Account.kind == "jobseeker") == 0
    with pytest.raises(Conflict, match="already rejected"):
        resume(db, import_id)

    clean = (CSV_HEADER + "".join(person(i) for i in range(300))).encode()
    import_id = start(db, clean, "all_or_nothing")
    assert run(db, import_id, chunk_size=100) == "succeeded"
    job = state(db, import_id)
    assert (job["status"], job["created"], job["failed"], job["rows_done"], job["phase"]) == (
        "completed",
        300,
        0,
        300,
        "writing",
    )
    assert jobseekers_in(db) == 300


def test_a_thousand_rows_with_twenty_bad_imports_980_and_invites_them(identity, db):
    add_staff_account(db)
    job = identity.call(
        staff(roles=("admin",)),
        "start_import",
        {"file": as_file(thousand_rows(), "people.csv"), "mode": "skip_bad_rows"},
    )
    assert job["status"] == "queued" and job["rows_total"] == 1000
    manager = staff(roles=("admin",))
    done = wait_for(
        lambda: (
            (j := identity.call(manager, "get_import", job["id"]))["status"] == "completed" and j
        ),
        timeout=60,
        what="the import to finish",
    )
    assert (done["created"], done["failed"], done["updated"], done["skipped"]) == (980, 20, 0, 0)
    assert done["rows_done"] == 1000
    assert {r["row"] - 2 for r in done["failed_rows"]} == set(BAD_ROWS)
    assert all(r["errors"] for r in done["failed_rows"])
    assert jobseekers_in(db) == 980
    assert count(db, Account, Account.kind == "jobseeker", Account.status == "invited") == 980
    assert count(db, Invitation) == 980
    registered = events(db, "jobseeker.registered")
    assert len(registered) == 980 and {e["data"]["channel"] for e in registered} == {"import"}
    from_college = [e for e in registered if e["data"]["source_id"] == COLLEGE]
    assert len(from_college) == len([i for i in range(0, 1000, 10) if i not in BAD_ROWS])
    # Each person's whole profile too, for those who keep a copy (booking's read model).
    profiles = {
        e["data"]["jobseeker_id"]: e["data"] for e in events(db, "jobseeker.profile_changed")
    }
    assert profiles.keys() == {e["data"]["jobseeker_id"] for e in registered}
    some = profiles[from_college[0]["data"]["jobseeker_id"]]
    assert (some["source_id"], some["status"], some["home_area"]) == (COLLEGE, "pending", "90813")
    assert some["availability"] == {"weekly": {}, "exceptions": []} and some["skills"]
    assert len(events(db, "invitation.created")) == 980
    rows = identity.call(
        manager, "list_import_rows", job["id"], {"outcome": "failed", "per_page": "5"}
    )
    assert rows["total"] == 20 and len(rows["items"]) == 5
    listed = identity.call(manager, "list_jobseekers", {"q": "person 42"})
    assert listed["items"][0]["account_status"] == "invited"
    (summary,) = identity.call(manager, "list_imports", {})["items"]
    assert (summary["id"], summary["status"], summary["rows_done"]) == (
        job["id"],
        "completed",
        1000,
    )


def test_rerunning_a_file_duplicates_nobody_and_says_who_was_updated_or_skipped(db):
    first = (CSV_HEADER + "".join(person(i) for i in range(50))).encode()
    import_id = start(db, first, "skip_bad_rows")
    run(db, import_id)
    assert jobseekers_in(db) == 50

    import_id = start(db, first, "skip_bad_rows", on_existing="skip")
    run(db, import_id)
    job = state(db, import_id)
    assert (job["created"], job["skipped"], job["updated"]) == (0, 50, 0)
    assert len(report(db, import_id, "skipped")) == 50

    changed = first.decode().replace("90813,driving; cooking", "90802,forklift").encode()
    changed += person(50).encode()
    import_id = start(db, changed, "skip_bad_rows", on_existing="update")
    run(db, import_id)
    job = state(db, import_id)
    assert (job["created"], job["updated"], job["skipped"]) == (1, 50, 0)
    updated = report(db, import_id, "updated")
    assert len(updated) == 50 and all(r["jobseeker_id"] for r in updated.values())
    assert jobseekers_in(db) == 51
    assert count(db, Account) == 51
    with Session(db) as session:
        areas = set(session.execute(select(JobseekerProfile.home_area)).scalars())
        skills = session.execute(
            select(JobseekerProfile.skills)
            .join(Account, Account.id == JobseekerProfile.account_id)
            .where(Account.email == "person7@example.org")
        ).scalar_one()
    assert areas == {"90802", "90813"} and skills == ["forklift"]
    assert len(events(db, "jobseeker.registered")) == 51
    # 51 registered, 50 updated: each update sends the person's profile as it is now.
    profiles = events(db, "jobseeker.profile_changed")
    assert len(profiles) == 51 + 50
    newest = {e["data"]["jobseeker_id"]: e["data"] for e in profiles}
    assert {p["home_area"] for p in newest.values()} == {"90802", "90813"}
    assert ["forklift"] in [p["skills"] for p in newest.values()]


def crash_at(phase: str, position: int, message: str) -> Callable[[Job, StepResult], None]:
    """A step that dies, after doing its work and before the runner commits it, when it
    starts at `position` of `phase`."""

    def crash(job: Job, result: StepResult) -> None:
        if job.checkpoint == {"phase": phase, "position": position}:
            raise RuntimeError(message)

    return crash


def test_a_crashed_import_resumes_where_it_stopped(db):
    data = (CSV_HEADER + "".join(person(i) for i in range(1000))).encode()
    import_id = start(db, data, "skip_bad_rows")
    crash = crash_at("writing", 200, "the process died")
    assert run(db, import_id, chunk_size=100, before_commit=crash) == "interrupted"
    job = state(db, import_id)
    assert job["status"] == "interrupted" and "the process died" in job["error"]
    assert job["checkpoint"] == {"phase": "writing", "position": 200}
    assert (job["rows_done"], job["created"]) == (200, 200)
    assert jobseekers_in(db) == 200 and len(events(db, "jobseeker.registered")) == 200
    assert run(db, import_id, chunk_size=100) is None  # interrupted: it waits to be resumed

    resume(db, import_id)
    assert state(db, import_id)["status"] == "queued"
    assert run(db, import_id, chunk_size=100) == "succeeded"
    job = state(db, import_id)
    assert (job["status"], job["rows_done"], job["created"], job["failed"]) == (
        "completed",
        1000,
        1000,
        0,
    )
    assert job["attempts"] == 2 and job["error"] is None
    assert jobseekers_in(db) == 1000 and count(db, Account) == 1000
    registered = events(db, "jobseeker.registered")
    assert len({e["data"]["jobseeker_id"] for e in registered}) == len(registered) == 1000
    assert count(db, Invitation) == 1000
    audited = [e["data"]["action"] for e in events(db, "audit.recorded")]
    assert audited.count("jobseekers.import_completed") == 1


def test_a_crash_in_the_check_of_an_all_or_nothing_file_resumes_too(db):
    data = (CSV_HEADER + "".join(person(i) for i in range(500))).encode()
    import_id = start(db, data, "all_or_nothing")
    crash = crash_at("validating", 100, "killed")
    assert run(db, import_id, chunk_size=100, before_commit=crash) == "interrupted"
    job = state(db, import_id)
    assert (job["status"], job["phase"], job["rows_done"]) == ("interrupted", "validating", 100)
    assert jobseekers_in(db) == 0
    resume(db, import_id)
    assert run(db, import_id, chunk_size=100) == "succeeded"
    job = state(db, import_id)
    assert (job["status"], job["created"], job["failed"], job["skipped"]) == (
        "completed",
        500,
        0,
        0,
    )
    assert jobseekers_in(db) == 500


def test_a_crash_as_the_check_ends_resumes_into_the_writing(db):
    """The step that ends the check also clears its report and counters: a crash there loses
    both together, and the resumed run checks the last chunk again."""
    data = (CSV_HEADER + "".join(person(i) for i in range(300))).encode()
    import_id = start(db, data, "all_or_nothing")
    crash = crash_at("validating", 200, "killed as the check ends")
    assert run(db, import_id, chunk_size=100, before_commit=crash) == "interrupted"
    assert state(db, import_id)["checkpoint"] == {"phase": "validating", "position": 200}
    resume(db, import_id)
    assert run(db, import_id, chunk_size=100) == "succeeded"
    job = state(db, import_id)
    assert (job["status"], job["created"], job["skipped"], job["rows_done"]) == (
        "completed",
        300,
        0,
        300,
    )
    assert jobseekers_in(db) == 300


def test_a_run_whose_lease_lapsed_stops_when_another_takes_the_import_over(db, monkeypatch):
    data = (CSV_HEADER + "".join(person(i) for i in range(500))).encode()
    import_id = start(db, data, "skip_bad_rows")
    classify = jobseeker_import._classify
    took_over: list[str | None] = []
    mid_run: list[dict] = []

    def stall_then_classify(uow, ctx, rows):
        if not took_over and rows[0].index == 200:  # the third chunk, before it writes
            mid_run.append(state(db, import_id))  # the progress anybody reads meanwhile
            # This run stalled past its lease; a sweep elsewhere takes the import over.
            set_job(db, import_id, lease_until=datetime.now(UTC) - timedelta(seconds=1))
            monkeypatch.setattr(jobseeker_import, "_classify", classify)
            took_over.append(run(db, import_id, chunk_size=100))
            monkeypatch.setattr(jobseeker_import, "_classify", stall_then_classify)
        return classify(uow, ctx, rows)

    monkeypatch.setattr(jobseeker_import, "_classify", stall_then_classify)
    assert run(db, import_id, chunk_size=100) is None
    assert took_over == ["succeeded"]
    (held,) = mid_run
    assert (held["status"], held["phase"], held["rows_done"], held["created"]) == (
        "running",
        "writing",
        200,
        200,
    )
    job = state(db, import_id)
    assert job["status"] == "completed" and job["attempts"] == 2
    assert (job["rows_done"], job["created"], job["skipped"], job["failed"]) == (500, 500, 0, 0)
    assert report(db, import_id, "skipped") == {}
    assert jobseekers_in(db) == 500


def test_the_service_resumes_an_import_a_dead_process_left_running(
    container_factory, service_config, settings, db, smtp
):
    data = (CSV_HEADER + "".join(person(i) for i in range(120))).encode()
    import_id = start(db, data, "skip_bad_rows")
    set_job(  # as if a process claimed it and died a while ago
        db,
        import_id,
        status="running",
        attempts=1,
        checkpoint={"phase": "writing", "position": 0},
        lease_until=datetime.now(UTC) - timedelta(seconds=1),
    )
    config = service_config(smtp_port=smtp.port)
    declare_topology(IdentityService, config)
    container_factory(IdentityService, config).start()
    wait_for(
        lambda: state(db, import_id)["status"] == "completed", timeout=30, what="the resumed import"
    )
    assert jobseekers_in(db) == 120 and state(db, import_id)["attempts"] == 2


def test_resume_through_the_service_and_refusals(identity, db):
    data = (CSV_HEADER + "".join(person(i) for i in range(30))).encode()
    manager = staff(roles=("admin",))
    import_id = start(db, data, "skip_bad_rows")
    set_job(
        db,
        import_id,
        status="interrupted",
        attempts=1,
        checkpoint={"phase": "writing", "position": 0},
        error="Stopped by an error (x); resume it to continue.",
    )
    stopped = identity.call(manager, "get_import", import_id)
    assert (stopped["status"], stopped["phase"]) == ("interrupted", "writing")
    assert stopped["error"].startswith("Stopped by an error")
    resumed = identity.call(manager, "resume_import", import_id)
    assert resumed["id"] == import_id and resumed["status"] in ("queued", "running")
    wait_for(
        lambda: identity.call(manager, "get_import", import_id)["status"] == "completed",
        what="the resumed import",
    )
    with pytest.raises(Conflict, match="already completed"):
        identity.call(manager, "resume_import", import_id)
    with pytest.raises(NotFound):
        identity.call(manager, "get_import", str(uuid.uuid4()))

    running = start(db, data, "skip_bad_rows")  # held by a live run elsewhere
    set_job(
        db,
        running,
        status="running",
        attempts=1,
        lease_until=datetime.now(UTC) + timedelta(minutes=5),
    )
    with pytest.raises(Conflict, match="running"):
        identity.call(manager, "resume_import", running)
    assert identity.call(manager, "get_import", running)["status"] == "running"


@pytest.mark.parametrize(
    "data, error, field_text",
    [
        ("email,name\nmaría@example.org,María\n".encode("latin-1"), ValidationFailed, "not UTF-8"),
        (
            b"email,phone\na@example.org,5625550100\n",
            ValidationFailed,
            "lacks the required columns: name",
        ),
        (b"email,name,email\na@b.org,A,c@d.org\n", ValidationFailed, "more than once: email"),
        (b'email,name\n"a@b.org,A\n', ValidationFailed, "line"),
        (b"email,name\n", ValidationFailed, "no rows"),
        (PDF, UnsupportedMediaType, "PDF"),
        (b"PK\x03\x04" + b"\0" * 40, UnsupportedMediaType, "Excel"),
        (b"email,name\x00\n", UnsupportedMediaType, "binary"),
    ],
)
def test_a_malformed_csv_is_refused_at_once_with_a_clear_message(
    identity, db, data, error, field_text
):
    with pytest.raises(error) as raised:
        identity.call(staff(), "start_import", {"file": as_file(data), "mode": "skip_bad_rows"})
    assert field_text in str(raised.value.message) + str(raised.value.fields)
    assert count(db, JobseekerImport) == 0 and count(db, background_jobs) == 0


def test_import_options_are_validated(identity, db):
    with pytest.raises(ValidationFailed) as raised:
        identity.call(
            staff(),
            "start_import",
            {
                "file": as_file(b"email,name\na@b.org,A\n"),
                "mode": "sometimes",
                "on_existing": "merge",
            },
        )
    assert set(raised.value.fields) == {"mode", "on_existing"}
    with pytest.raises(ValidationFailed) as raised:
        identity.call(staff(), "start_import", {"mode": "dry_run"})
    assert set(raised.value.fields) == {"file"}
