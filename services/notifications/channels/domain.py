"""A CBO's channel settings: read (made with the defaults on first read), changed by its owner
(audited, the SMS auth token sealed and never answered), and what the senders need."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from chassis.audit import audit
from chassis.context import Caller
from chassis.db import UnitOfWork
from chassis.errors import Forbidden, ValidationFailed
from services.notifications.channels import rules
from services.notifications.channels.models import ChannelSettings
from services.notifications.channels.sealing import Sealer
from services.notifications.channels.sms import SmsAccount

_SMS_FIELDS = ("sms_account_sid", "sms_from_number", "sms_base_url")
_EMAIL_FIELDS = ("email_from_name", "email_reply_to")


def settings_for(uow: UnitOfWork, *, tenant_id: str, lock: bool = False) -> ChannelSettings:
    query = select(ChannelSettings).where(ChannelSettings.tenant_id == tenant_id)
    if lock:
        query = query.with_for_update()
    found = uow.session.execute(query).scalar_one_or_none()
    if found is not None:
        return found
    uow.session.execute(
        insert(ChannelSettings)
        .values(tenant_id=tenant_id, reminder_minutes=list(rules.DEFAULT_REMINDER_MINUTES))
        .on_conflict_do_nothing(index_elements=["tenant_id"])
    )
    return uow.session.execute(query).scalar_one()


def callback_urls(public_url: str, tenant_id: str) -> dict[str, str]:
    """Where the provider reports a message's status, and where the CBO points its number's
    incoming messages (STOP and START); both check the provider's signature."""
    base = f"{public_url.rstrip('/')}/api/v1/public/sms/{tenant_id}"
    return {"status_callback_url": f"{base}/status", "inbound_url": f"{base}/inbound"}


def sms_configured(settings: ChannelSettings) -> bool:
    return bool(
        settings.sms_account_sid and settings.sms_auth_token_sealed and settings.sms_from_number
    )


def view(settings: ChannelSettings, *, public_url: str) -> dict[str, Any]:
    """The settings as the owner reads them: whether an auth token is set, never the token."""
    return {
        "sms": {
            "configured": sms_configured(settings),
            "account_sid": settings.sms_account_sid,
            "from_number": settings.sms_from_number,
            "base_url": settings.sms_base_url,
            "auth_token_set": settings.sms_auth_token_sealed is not None,
            **callback_urls(public_url, settings.tenant_id),
        },
        "email": {
            "from_name": settings.email_from_name,
            "reply_to": settings.email_reply_to,
        },
        "reminder_minutes": sorted(settings.reminder_minutes, reverse=True),
    }


def _recorded(settings: ChannelSettings) -> dict[str, Any]:
    # What the audit trail keeps: whether a token is set, never the token.
    return {
        **{name: getattr(settings, name) for name in (*_SMS_FIELDS, *_EMAIL_FIELDS)},
        "sms_auth_token_set": settings.sms_auth_token_sealed is not None,
        "reminder_minutes": list(settings.reminder_minutes),
    }


def update_settings(
    uow: UnitOfWork, *, caller: Caller, tenant_id: str, data: dict[str, Any], sealer: Sealer
) -> ChannelSettings:
    """Change what `data` names: `sms` (None removes the SMS account; an absent auth_token
    keeps the one stored), `email`, `reminder_minutes`. Audited without secrets."""
    settings = settings_for(uow, tenant_id=tenant_id, lock=True)
    before = _recorded(settings)
    if "sms" in data:
        sms = data["sms"]
        if sms is None:
            for name in _SMS_FIELDS:
                setattr(settings, name, None)
            settings.sms_auth_token_sealed = None
        else:
            if sms.get("auth_token") is None and settings.sms_auth_token_sealed is None:
                raise ValidationFailed(
                    fields={"sms.auth_token": ["Give the provider's auth token."]}
                )
            settings.sms_account_sid = sms["account_sid"]
            settings.sms_from_number = sms["from_number"]
            settings.sms_base_url = sms.get("base_url")
            if sms.get("auth_token") is not None:
                settings.sms_auth_token_sealed = sealer.seal(sms["auth_token"])
    if "email" in data:
        email = data["email"] or {}
        settings.email_from_name = email.get("from_name")
        settings.email_reply_to = email.get("reply_to")
    if "reminder_minutes" in data:
        problems = rules.reminder_problems(data["reminder_minutes"])
        if problems:
            raise ValidationFailed(fields={"reminder_minutes": problems})
        settings.reminder_minutes = sorted(set(data["reminder_minutes"]), reverse=True)
    settings.updated_by = caller.user_id
    uow.session.flush()
    uow.session.refresh(settings)
    after = _recorded(settings)
    if after != before or "sms" in data and (data["sms"] or {}).get("auth_token"):
        audit(
            uow,
            caller,
            action="notification_channels.update",
            entity_type="notification_channels",
            entity_id=tenant_id,
            before=before,
            after=after,
            tenant_id=tenant_id,
        )
    return settings


def sms_account(
    settings: ChannelSettings, *, sealer: Sealer, default_base_url: str
) -> SmsAccount | None:
    """What sending an SMS for the CBO needs (its auth token opened), or None without SMS."""
    if not sms_configured(settings):
        return None
    assert settings.sms_auth_token_sealed is not None
    return SmsAccount(
        base_url=settings.sms_base_url or default_base_url,
        account_sid=settings.sms_account_sid or "",
        auth_token=sealer.open(settings.sms_auth_token_sealed),
        from_number=settings.sms_from_number or "",
    )


def auth_token_of(uow: UnitOfWork, *, tenant_id: str, sealer: Sealer) -> str | None:
    """The CBO's SMS auth token (to check a provider's signature), or None without one."""
    settings = uow.session.get(ChannelSettings, tenant_id)
    if settings is None or settings.sms_auth_token_sealed is None:
        return None
    return sealer.open(settings.sms_auth_token_sealed)


def check_provider_request(
    uow: UnitOfWork,
    *,
    tenant_id: str,
    url: str,
    params: dict[str, list[str]],
    signature: str,
    sealer: Sealer,
) -> None:
    """Refuse (403) a webhook that the CBO's SMS provider did not sign: the signature must be
    the HMAC of this URL and these fields under the CBO's auth token. An unknown CBO, or one
    without SMS, is refused the same way, so the answer tells nothing."""
    token = auth_token_of(uow, tenant_id=tenant_id, sealer=sealer) if len(tenant_id) <= 36 else None
    if token is None or not rules.signature_matches(token, url, params, signature):
        raise Forbidden("The request's signature is not the SMS provider's.")
