"""A CBO's branding, words, languages, logo and login box on tenancy's real database; what
anybody may see of them; and what the gateway is told about a CBO's own sites."""

from __future__ import annotations

import base64

import pytest

from chassis.errors import NotFound, PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from services.tenancy.branding import domain
from services.tenancy.branding.rules import DEFAULT_COLOURS, SUPPORTED_LANGUAGES
from services.tenancy.tenants.domain import decide
from tests.domain.outbox import Outbox
from tests.factories import PDF, PNG, a_cbo, operator_caller, staff_caller, uploaded

SERVICE = "tenancy"
PUBLIC_URL = "https://worklb.example.org/"

PUBLIC_FIELDS = {
    "slug",
    "display_name",
    "colors",
    "terminology",
    "languages",
    "default_language",
    "timezone",
    "logo_url",
}


def update(uow, tenant, **data) -> dict:
    return domain.update_branding(
        uow, caller=staff_caller(tenant.id), tenant_id=tenant.id, data=data
    )


def set_logo(uow, tenant, data: bytes = PNG, filename: str = "logo.png") -> dict:
    return domain.set_logo(
        uow, caller=staff_caller(tenant.id), tenant_id=tenant.id, file=uploaded(data, filename)
    )


def set_origins(uow, tenant, origins: list[str]) -> dict:
    return domain.set_allowed_origins(
        uow,
        caller=staff_caller(tenant.id),
        tenant_id=tenant.id,
        origins=origins,
        public_url=PUBLIC_URL,
    )


# -- Branding and words ------------------------------------------------------------------------


def test_a_new_cbo_has_the_default_branding(uow):
    tenant = a_cbo(uow, slug="harbor-works", name="Harbor Works")
    assert domain.get_branding(uow, tenant_id=tenant.id) == {
        "tenant_id": tenant.id,
        "slug": "harbor-works",
        "name": "Harbor Works",
        "status": "approved",
        "display_name": "Harbor Works",
        "colors": DEFAULT_COLOURS,
        "terminology": {},
        "languages": list(SUPPORTED_LANGUAGES),
        "default_language": "en",
        "timezone": "America/Los_Angeles",
        "logo_url": None,
        "allowed_origins": [],
        "supported_languages": list(SUPPORTED_LANGUAGES),
    }


def test_a_branding_change_keeps_the_rest_of_the_palette_with_its_event_and_audit_entry(uow):
    tenant = a_cbo(uow, slug="harbor-works")
    owner = staff_caller(tenant.id)
    sent = Outbox(uow)
    words = {"en": {"jobseeker": "member"}, "km": {"jobseeker": "សមាជិក"}}
    branding = domain.update_branding(
        uow,
        caller=owner,
        tenant_id=tenant.id,
        data={
            "display_name": "Harbor Works LB",
            "colors": {"primary": "#112233"},
            "terminology": words,
            "languages": ["en", "km"],
            "timezone": "America/Chicago",
        },
    )
    assert branding["colors"] == {**DEFAULT_COLOURS, "primary": "#112233"}
    assert (branding["display_name"], branding["terminology"]) == ("Harbor Works LB", words)
    assert (branding["languages"], branding["timezone"]) == (["en", "km"], "America/Chicago")

    changed = ["display_name", "colors", "terminology", "languages", "timezone"]
    assert sent.types() == ["branding.updated", "audit.recorded"]
    assert sent.one("branding.updated")["data"] == {
        "tenant_id": tenant.id,
        "changed": changed,
        "timezone": "America/Chicago",
        "default_language": "en",
        "languages": ["en", "km"],
    }
    [trail] = sent.audit()
    assert (trail["action"], trail["actor_id"], trail["entity_id"]) == (
        "branding.update",
        owner.user_id,
        tenant.id,
    )
    assert trail["before"] == {
        "display_name": "CBO harbor-works",
        "colors": DEFAULT_COLOURS,
        "terminology": {},
        "languages": list(SUPPORTED_LANGUAGES),
        "timezone": "America/Los_Angeles",
    }
    assert set(trail["after"]) == set(changed)

    # A second colour later: the first stays.
    again = update(uow, tenant, colors={"accent": "#445566"})
    assert again["colors"] == {**DEFAULT_COLOURS, "primary": "#112233", "accent": "#445566"}


def test_sending_the_branding_as_it_is_changes_nothing_and_records_nothing(uow):
    tenant = a_cbo(uow, slug="harbor-works")
    sent = Outbox(uow)
    before = domain.get_branding(uow, tenant_id=tenant.id)
    after = update(
        uow,
        tenant,
        display_name="CBO harbor-works",
        colors={"primary": DEFAULT_COLOURS["primary"]},
        languages=list(SUPPORTED_LANGUAGES),
    )
    assert after == before and sent.events() == []


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"languages": ["es"]}, "languages"),  # would disable the default (en)
        ({"default_language": "km", "languages": ["en", "es"]}, "default_language"),
        ({"default_language": "km"}, "default_language"),  # km enabled below first
    ],
)
def test_the_default_language_must_stay_enabled(uow, data, field):
    tenant = a_cbo(uow)
    update(uow, tenant, languages=["en", "es"])
    sent = Outbox(uow)
    with pytest.raises(ValidationFailed) as refused:
        update(uow, tenant, **data)
    assert set(refused.value.fields) == {field}
    assert domain.get_branding(uow, tenant_id=tenant.id)["languages"] == ["en", "es"]
    assert sent.events() == []


def test_the_default_language_moves_with_the_languages(uow):
    tenant = a_cbo(uow)
    branding = update(uow, tenant, languages=["km"], default_language="km")
    assert (branding["languages"], branding["default_language"]) == (["km"], "km")


# -- The logo ----------------------------------------------------------------------------------


def test_a_logo_is_shown_publicly_and_a_new_one_replaces_it(uow):
    tenant = a_cbo(uow, slug="harbor-works")
    sent = Outbox(uow)
    info = set_logo(uow, tenant)
    assert info == {"filename": "logo.png", "content_type": "image/png", "size": len(PNG)}
    assert sent.one("branding.updated")["data"]["changed"] == ["logo"]
    [trail] = sent.audit()
    assert (trail["action"], trail["before"], trail["after"]) == ("branding.set_logo", None, info)

    public = domain.public_branding(uow, slug="harbor-works")
    assert public["logo_url"].startswith("/api/v1/public/cbos/harbor-works/logo?v=")
    logo = domain.public_logo(uow, slug="harbor-works")
    assert base64.b64decode(logo["data"]) == PNG
    assert (logo["filename"], logo["content_type"]) == ("logo.png", "image/png")

    jpeg = b"\xff\xd8\xff\xe0" + b"\0" * 32
    assert set_logo(uow, tenant, jpeg, "new.jpg")["content_type"] == "image/jpeg"
    assert sent.audit()[-1]["before"] == info
    assert base64.b64decode(domain.public_logo(uow, slug="harbor-works")["data"]) == jpeg


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (PNG + b"\0" * (1024 * 1024), PayloadTooLarge),
        (PDF, UnsupportedMediaType),  # named logo.png: the bytes decide
        (b"GIF89a" + b"\0" * 16, UnsupportedMediaType),
        (b"", ValidationFailed),
    ],
)
def test_a_logo_that_is_too_big_or_not_an_image_is_refused(uow, data, error):
    tenant = a_cbo(uow, slug="harbor-works")
    sent = Outbox(uow)
    with pytest.raises(error) as refused:
        set_logo(uow, tenant, data)
    assert set(refused.value.fields) == {"file"}
    assert domain.get_branding(uow, tenant_id=tenant.id)["logo_url"] is None
    assert sent.events() == []


def test_removing_the_logo(uow):
    tenant = a_cbo(uow, slug="harbor-works")
    info = set_logo(uow, tenant)
    sent = Outbox(uow)
    domain.remove_logo(uow, caller=staff_caller(tenant.id), tenant_id=tenant.id)
    assert sent.one("branding.updated")["data"]["changed"] == ["logo"]
    assert [(t["action"], t["before"]) for t in sent.audit()] == [("branding.remove_logo", info)]
    assert domain.public_branding(uow, slug="harbor-works")["logo_url"] is None
    with pytest.raises(NotFound):
        domain.public_logo(uow, slug="harbor-works")
    with pytest.raises(NotFound):
        domain.remove_logo(uow, caller=staff_caller(tenant.id), tenant_id=tenant.id)


# -- What anybody may see ----------------------------------------------------------------------


def test_the_public_branding_shows_nothing_private(uow):
    tenant = a_cbo(uow, slug="harbor-works")
    update(uow, tenant, display_name="Harbor Works LB", terminology={"km": {"jobseeker": "សមាជិក"}})
    set_origins(uow, tenant, ["https://www.harbor.example.org"])
    public = domain.public_branding(uow, slug="harbor-works")
    assert set(public) == PUBLIC_FIELDS  # no id, status, origins or contacts
    assert public["display_name"] == "Harbor Works LB"
    assert public["terminology"]["km"]["jobseeker"] == "សមាជិក"


@pytest.mark.parametrize("status", ["applied", "rejected", "suspended"])
def test_public_pages_are_only_for_approved_cbos(uow, status):
    if status == "suspended":
        tenant = a_cbo(uow, slug="harbor-works")
        set_logo(uow, tenant)  # it had a logo while it was approved
        decide(uow, caller=operator_caller(), tenant_id=tenant.id, action="suspend", reason="x")
    else:
        a_cbo(uow, slug="harbor-works", status=status)
    for slug in ("harbor-works", "nobody-here"):
        with pytest.raises(NotFound):
            domain.public_branding(uow, slug=slug)
        with pytest.raises(NotFound):
            domain.public_logo(uow, slug=slug)


# -- The login box -----------------------------------------------------------------------------


def test_login_box_origins_are_stored_as_browsers_send_them_once_each_in_order(uow):
    tenant = a_cbo(uow, slug="harbor-works")
    sent = Outbox(uow)
    box = set_origins(
        uow,
        tenant,
        [
            "https://WWW.Harbor.example.org/",
            "https://harbor.example.org:8443",
            " https://www.harbor.example.org:443 ",
        ],
    )
    origins = ["https://www.harbor.example.org", "https://harbor.example.org:8443"]
    assert box["allowed_origins"] == origins
    assert box["page_url"] == "https://worklb.example.org/login-box/harbor-works"
    assert box["snippet"].startswith('<iframe src="https://worklb.example.org/login-box/')
    assert domain.get_login_box(uow, tenant_id=tenant.id, public_url=PUBLIC_URL) == box
    assert sent.one("branding.updated")["data"]["changed"] == ["allowed_origins"]
    [trail] = sent.audit()
    assert (trail["action"], trail["before"], trail["after"]) == (
        "login_box.set_origins",
        {"allowed_origins": []},
        {"allowed_origins": origins},
    )

    set_origins(uow, tenant, origins)  # the same again: nothing recorded
    assert len(sent.events()) == 2


def test_bad_origins_are_refused_and_leave_the_origins_as_they_were(uow):
    tenant = a_cbo(uow)
    set_origins(uow, tenant, ["https://www.example.org"])
    with pytest.raises(ValueError):
        set_origins(uow, tenant, ["https://ok.example.org", "http://plain.example.org"])
    assert domain.get_branding(uow, tenant_id=tenant.id)["allowed_origins"] == [
        "https://www.example.org"
    ]


def test_the_login_box_snippet_escapes_the_cbos_name(uow):
    tenant = a_cbo(uow)
    update(uow, tenant, display_name='Harbor "Works" <b>&</b>')
    snippet = domain.get_login_box(uow, tenant_id=tenant.id, public_url=PUBLIC_URL)["snippet"]
    assert 'title="Sign in to Harbor &quot;Works&quot; &lt;b&gt;&amp;&lt;/b&gt;"' in snippet
    assert "<b>" not in snippet


def test_the_gateway_is_told_a_cbos_status_and_origins_whatever_its_status(uow):
    """The gateway, not tenancy, refuses sign-ins from a CBO that is not approved."""
    tenant = a_cbo(uow, slug="harbor-works")
    set_origins(uow, tenant, ["https://www.harbor.example.org"])
    decide(uow, caller=operator_caller(), tenant_id=tenant.id, action="suspend", reason="Audit")
    waiting = a_cbo(uow, slug="waiting-one", status="applied")
    assert domain.login_box_rules(uow, slug="harbor-works") == {
        "tenant_id": tenant.id,
        "slug": "harbor-works",
        "status": "suspended",
        "allowed_origins": ["https://www.harbor.example.org"],
    }
    assert domain.login_box_rules(uow, slug="waiting-one") == {
        "tenant_id": waiting.id,
        "slug": "waiting-one",
        "status": "applied",
        "allowed_origins": [],
    }
    with pytest.raises(NotFound):
        domain.login_box_rules(uow, slug="nobody-here")


def test_the_message_profile_gives_a_cbos_name_zone_languages_and_words(uow):
    tenant = a_cbo(uow)
    update(
        uow,
        tenant,
        display_name="Harbor Works",
        terminology={"es": {"shift": "jornada"}},
        languages=["en", "es", "km"],
        timezone="America/New_York",
    )
    assert domain.message_profile(uow, tenant_id=tenant.id) == {
        "tenant_id": tenant.id,
        "display_name": "Harbor Works",
        "timezone": "America/New_York",
        "default_language": "en",
        "languages": ["en", "es", "km"],
        "terminology": {"es": {"shift": "jornada"}},
    }
    # A suspended CBO's workers are still told of cancellations in its name.
    decide(uow, caller=operator_caller(), tenant_id=tenant.id, action="suspend", reason="x")
    assert domain.message_profile(uow, tenant_id=tenant.id)["display_name"] == "Harbor Works"
    with pytest.raises(NotFound):
        domain.message_profile(uow, tenant_id="no-such-cbo")
