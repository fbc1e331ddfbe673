"""Self-registration over HTTP as a job seeker goes through it: register (always 202), open the
confirmation email, confirm (signed in)."""

from __future__ import annotations

from tests.smtp import SmtpSink, link_token

ACCEPTED_STATUS = 202


def confirm_registration(
    api, smtp: SmtpSink, email: str, sent_before: int, *, timeout: float = 20.0
) -> tuple[str, str]:
    """Open the confirmation email that follows `sent_before` emails to `email` and confirm it:
    (job seeker id, access token). `timeout`: how long the email may take to come."""
    message = smtp.wait_for(email, count=sent_before + 1, timeout=timeout)
    assert "Confirm your email" in message["Subject"], message["Subject"]
    confirmed = api("POST", "/api/v1/auth/email-confirmation", json={"token": link_token(message)})
    assert confirmed.status_code == 200, confirmed.text
    token = confirmed.json()["access_token"]
    return api("GET", "/api/v1/me", token).json()["user_id"], token


def register_and_confirm(api, smtp: SmtpSink, slug: str, body: dict, **request) -> tuple[str, str]:
    """Self-register `body` with the CBO `slug` and confirm the email: (job seeker id, token)."""
    sent = len(smtp.to(body["email"]))
    registered = api("POST", f"/api/v1/cbos/{slug}/jobseekers", json=body, **request)
    assert registered.status_code == ACCEPTED_STATUS, registered.text
    return confirm_registration(api, smtp, body["email"], sent)
