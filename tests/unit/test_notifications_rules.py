"""The notifications service's pure rules: templates in three languages with a CBO's words,
safe rendering, the provider's signature, phone numbers, SMS keywords, reminder times, retries
and the provider's statuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.notifications.channels import rules as channels
from services.notifications.channels.sealing import Sealer, SealingUnavailable
from services.notifications.messages import rules, templates
from services.notifications.notices import rules as notices
from services.notifications.optouts import rules as optouts

# Tue 1 Dec 2026, 09:00-13:00 in Long Beach (UTC-8); the deadline Mon 30 Nov 18:30.
STARTS = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
ENDS = datetime(2026, 12, 1, 21, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
LB = "America/Los_Angeles"
WORDS = {"en": {"shift": "gig"}, "es": {"shift": "jornada"}, "km": {"shift": "វេនធ្វើការ"}}


def offer(language: str, **more):
    return rules.render(
        "offer_sent",
        language,
        name="Sokha",
        cbo="Harbor Works",
        timezone=LB,
        terminology=WORDS,
        starts_at=STARTS,
        ends_at=ENDS,
        deadline_at=DEADLINE,
        **more,
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "en",
            "Harbor Works offers you a gig on Tue 1 Dec, 09:00 to 13:00.\n"
            "Please confirm or decline in the app by Mon 30 Nov, 18:30.",
        ),
        (
            "es",
            "Harbor Works tiene trabajo para usted. Jornada: mar 1 dic, 09:00 a 13:00.\n"
            "Confirme o rechace en la aplicación antes de lun 30 nov, 18:30.",
        ),
        (
            "km",
            "Harbor Works សូមផ្តល់វេនធ្វើការជូនអ្នក នៅ ថ្ងៃអង្គារ ទី1 ធ្នូ ម៉ោង 09:00 ដល់ 13:00។\n"
            "សូមបញ្ជាក់ ឬបដិសេធ នៅក្នុងកម្មវិធី មុន ថ្ងៃច័ន្ទ ទី30 វិច្ឆិកា ម៉ោង 18:30។",
        ),
    ],
)
def test_an_offer_in_each_language_with_the_cbos_words_and_its_time_zone(language, expected):
    rendered = offer(language)
    assert rendered.language == language
    assert expected in rendered.text
    assert "STOP" in rendered.sms


def test_the_default_words_when_the_cbo_has_none_for_a_language():
    rendered = rules.render(
        "shift_reminder", "es", name="Lucia", cbo="Harbor", timezone=LB, starts_at=STARTS
    )
    assert "Turno: empieza mar 1 dic, 09:00" in rendered.text


@pytest.mark.parametrize("kind", templates.KINDS)
@pytest.mark.parametrize("language", templates.LANGUAGES)
def test_every_message_renders_in_every_language(kind, language):
    rendered = rules.render(
        kind,
        language,
        name="N",
        cbo="C",
        timezone=LB,
        terminology=WORDS,
        starts_at=STARTS,
        ends_at=ENDS,
        deadline_at=DEADLINE,
        reason="attempts_used",
        attempts=3,
    )
    assert rendered.subject and rendered.text and rendered.sms
    assert "{" not in rendered.text + rendered.subject + rendered.sms
    assert "\n" not in rendered.subject


def test_every_language_has_every_message_and_word():
    for kind, by_language in templates.TEMPLATES.items():
        assert set(by_language) == set(templates.LANGUAGES), kind
        for parts in by_language.values():
            assert set(parts) == {"subject", "text", "sms"}
    for language in templates.LANGUAGES:
        assert set(templates.DEFAULT_WORDS[language]) == set(templates.DEFAULT_WORDS["en"])
    for reason in templates.REASONS.values():
        assert set(reason) == set(templates.LANGUAGES)


def test_what_people_type_cannot_become_markup_or_break_a_header():
    rendered = rules.render(
        "offer_withdrawn",
        "en",
        name="<script>alert(1)</script>\r\nBcc: x@evil.example",
        cbo="A & B {cbo}",
        timezone=LB,
        terminology={"en": {"offer": "<b>gig</b>\nX"}},
        starts_at=STARTS,
        reason="we said <img src=x onerror=alert(1)>",
    )
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
    assert "<script>" not in rendered.html and "<img" not in rendered.html
    assert "&lt;script&gt;" in rendered.html and "&lt;b&gt;gig&lt;/b&gt; X" in rendered.html
    # A value's braces are text, never a placeholder.
    assert rendered.sms.startswith("A & B {cbo}: the <b>gig</b> X of the shift")


def test_known_reasons_are_translated_and_others_kept_as_written():
    for language, expected in (("es", "ya hay alguien para ese trabajo"), ("km", "មានអ្នកធ្វើរួចហើយ")):
        rendered = rules.render(
            "offer_withdrawn", language, name="N", cbo="C", timezone=LB, reason="shift filled"
        )
        assert expected in rendered.text
    rendered = rules.render(
        "shift_cancelled", "es", name="N", cbo="C", timezone=LB, reason="Lluvia"
    )
    assert "Motivo: Lluvia" in rendered.text


@pytest.mark.parametrize(
    ("preferred", "default", "expected"),
    [
        ("km", "en", "km"),
        ("es", "km", "es"),
        (None, "es", "es"),
        ("fr", "km", "km"),
        (None, None, "en"),
        ("xx", "yy", "en"),
    ],
)
def test_the_language_a_person_gets(preferred, default, expected):
    assert rules.language_for(preferred, default=default) == expected


def test_a_shift_over_midnight_shows_its_end_in_full_and_an_unknown_zone_falls_back():
    late = rules.end_of(STARTS, STARTS + timedelta(hours=16), timezone=LB, language="en")
    assert late == "Wed 2 Dec, 01:00"
    assert rules.moment(STARTS, timezone="Not/AZone", language="en") == "Tue 1 Dec, 09:00"


# -- the provider's signature ------------------------------------------------------------------

# Twilio's documented example (docs: "Validating signatures from Twilio").
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TWILIO_PARAMS = {
    "CallSid": ["CA1234567890ABCDE"],
    "Caller": ["+12349013030"],
    "Digits": ["1234"],
    "From": ["+12349013030"],
    "To": ["+18005551212"],
}


def test_the_signature_is_the_providers_documented_one():
    assert channels.provider_signature("12345", TWILIO_URL, TWILIO_PARAMS) == (
        "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    )


@pytest.mark.parametrize(
    ("secret", "url", "params", "signature", "ok"),
    [
        ("12345", TWILIO_URL, TWILIO_PARAMS, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", True),
        ("12346", TWILIO_URL, TWILIO_PARAMS, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", False),
        ("12345", TWILIO_URL + "&x=1", TWILIO_PARAMS, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", False),
        (
            "12345",
            TWILIO_URL,
            {**TWILIO_PARAMS, "Digits": ["1235"]},
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ=",
            False,
        ),
        ("12345", TWILIO_URL, TWILIO_PARAMS, "", False),
        ("", TWILIO_URL, TWILIO_PARAMS, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", False),
        ("12345", TWILIO_URL, TWILIO_PARAMS, "ñ", False),
    ],
)
def test_a_signature_matches_only_its_own_request(secret, url, params, signature, ok):
    assert channels.signature_matches(secret, url, params, signature) is ok


def test_field_order_does_not_matter_but_every_value_counts():
    shuffled = dict(reversed(list(TWILIO_PARAMS.items())))
    assert channels.provider_signature("k", "u", shuffled) == channels.provider_signature(
        "k", "u", TWILIO_PARAMS
    )
    assert channels.provider_signature("k", "u", {"a": ["1", "2"]}) == channels.provider_signature(
        "k", "u", {"a": ["2", "1"]}
    )
    assert channels.provider_signature("k", "u", {"a": ["1", "2"]}) != channels.provider_signature(
        "k", "u", {"a": ["1"]}
    )


# -- phones, base URLs, keywords ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("(562) 555-0100", "+15625550100"),
        ("562.555.0100", "+15625550100"),
        ("1 562 555 0100", "+15625550100"),
        ("+855 12 345 678", "+85512345678"),
        ("00855 12 345 678", "+85512345678"),
        ("555-0100", None),
        ("call me", None),
        ("+0123456789", None),
        ("", None),
        (None, None),
        ("+1234567890123456", None),
    ],
)
def test_phone_numbers_become_e164(typed, e164):
    assert channels.normalise_phone(typed) == e164


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://api.twilio.com/2010-04-01", True),
        ("https://sms.example.org/v1/", True),
        ("http://api.twilio.com/2010-04-01", False),
        ("https://user:pw@api.twilio.com", False),
        ("https://api.twilio.com?x=1", False),
        ("ftp://x", False),
        ("https://", False),
        ("https://h:99999", False),
    ],
)
def test_a_cbos_own_provider_base_is_https_only(url, ok):
    if ok:
        assert channels.check_base_url(url) == url.rstrip("/")
    else:
        with pytest.raises(ValueError):
            channels.check_base_url(url)


@pytest.mark.parametrize(
    ("body", "keyword", "opts_out"),
    [
        ("STOP", "STOP", True),
        (" stop ", "STOP", True),
        ("Stop.", "STOP", True),
        ("STOPALL", "STOPALL", True),
        ("unsubscribe", "UNSUBSCRIBE", True),
        ("Cancel", "CANCEL", True),
        ("end", "END", True),
        ("quit!", "QUIT", True),
        ("START", "START", False),
        ("unstop", "UNSTOP", False),
        ("please stop", None, None),
        ("stop it", None, None),
        ("STOPP", None, None),
        ("", None, None),
        (None, None, None),
        ("yes", None, None),
    ],
)
def test_sms_keywords_are_the_whole_message(body, keyword, opts_out):
    assert optouts.keyword_of(body) == keyword
    assert optouts.opts_out(keyword) is opts_out


# -- reminders, retries, statuses --------------------------------------------------------------


def test_reminders_are_due_before_the_start_and_only_those_still_ahead():
    now = STARTS - timedelta(hours=30)
    assert channels.reminder_times(STARTS, [120, 1440], now=now) == [
        (1440, STARTS - timedelta(hours=24)),
        (120, STARTS - timedelta(hours=2)),
    ]
    late = STARTS - timedelta(hours=5)
    assert channels.reminder_times(STARTS, [1440, 120], now=late) == [
        (120, STARTS - timedelta(hours=2))
    ]
    assert channels.reminder_times(STARTS, [1440, 120], now=STARTS + timedelta(minutes=1)) == []
    assert channels.reminder_times(STARTS, [60, 60], now=now) == [(60, STARTS - timedelta(hours=1))]


@pytest.mark.parametrize(
    ("minutes", "problems"),
    [
        ([1440, 120], 0),
        ([], 0),
        ([15, 10080], 0),
        ([14], 1),
        ([10081], 1),
        ([60, 60], 1),
        ([60, 120, 180, 240, 300], 1),
    ],
)
def test_reminder_times_a_cbo_may_set(minutes, problems):
    assert len(channels.reminder_problems(minutes)) == problems


def test_a_message_is_retried_with_growing_delays_then_failed():
    now = STARTS
    delays = [rules.retry_at(n, now=now) for n in range(1, rules.MAX_ATTEMPTS + 1)]
    assert delays[-1] is None
    waits = [(d - now).total_seconds() for d in delays[:-1] if d is not None]
    assert waits == sorted(waits) and waits[0] == 1 and len(waits) == rules.MAX_ATTEMPTS - 1
    assert notices.redispatch_at(notices.MAX_DISPATCH_ATTEMPTS, now=now) is None
    assert notices.redispatch_at(1, now=now) == now + timedelta(seconds=2)


@pytest.mark.parametrize(
    ("current", "reported", "after"),
    [
        ("sent", "delivered", "delivered"),
        ("sent", "undelivered", "failed"),
        ("sent", "failed", "failed"),
        ("sent", "sent", None),
        ("sent", "queued", None),
        ("delivered", "sent", None),
        ("delivered", "failed", None),
        ("failed", "sent", None),
        ("queued", "sent", "sent"),
        ("sent", "bogus", None),
        ("skipped", "delivered", None),
    ],
)
def test_the_providers_reports_move_the_status_forward_only(current, reported, after):
    assert rules.status_after_report(current, reported) == after


def test_workers_are_told_of_cancellations_they_did_not_make():
    assert notices.tells_worker_of_cancellation("staff")
    assert notices.tells_worker_of_cancellation("client")
    assert not notices.tells_worker_of_cancellation("worker")


# -- sealing -----------------------------------------------------------------------------------


def test_a_sealed_secret_opens_only_under_its_key():
    key = "k" * 40
    sealed = Sealer(key).seal("auth-token-1")
    assert b"auth-token-1" not in sealed
    assert Sealer(key).open(sealed) == "auth-token-1"
    with pytest.raises(SealingUnavailable):
        Sealer("j" * 40).open(sealed)
    with pytest.raises(SealingUnavailable):
        Sealer("short")


def test_what_and_where_when_known():
    rendered = offer("es", job="Lavaplatos", site="Pier Cafe")
    assert "13:00.\nTrabajo: Lavaplatos\nLugar: Pier Cafe\nConfirme" in rendered.text
    assert "ការងារ: Dish\nConfirm" not in offer("km", job="Dish").text
    assert "ការងារ: Dish\nសូមបញ្ជាក់" in offer("km", job="Dish").text
    assert "13:00.\nWhere: Pier\nPlease" in offer("en", site="Pier\r\n").text
    assert "13:00.\nPlease confirm" in offer("en").text
