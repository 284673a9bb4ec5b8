"""Rendering of every e-mail kind in both locales."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from shared.notifications import timefmt
from shared.notifications.render import (
    CLIENT_KINDS,
    KINDS,
    LOCALES,
    PROFESSIONAL_KINDS,
    EmailContextError,
    EmailTemplateNotFound,
    normalize_locale,
    render_email,
)

APPOINTMENT_KINDS = (*CLIENT_KINDS, *PROFESSIONAL_KINDS)
LOCAL_DATE = {"es": "lunes, 29 de marzo de 2027", "en": "Monday, March 29, 2027"}
NINE = {"es": "9:00", "en": "9:00\u202fAM"}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", APPOINTMENT_KINDS)
def test_appointment_email_names_service_local_time_and_zone(kind, locale, appointment_context):
    email = render_email(kind, locale, appointment_context)

    assert email.subject.strip() and "\n" not in email.subject
    expected_when = f"{LOCAL_DATE[locale]}, {NINE[locale]} (Europe/Madrid)"
    for body in (email.text, email.html):
        assert "Terapia individual" in body
        assert expected_when in body
    assert f'<html lang="{locale}">' in email.html


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", KINDS)
def test_html_escapes_names_while_text_keeps_them(kind, locale, appointment_context):
    context = appointment_context | {"reset_url": "https://agenda.example/reset-password?token=t",
                                     "verify_url": "https://agenda.example/verify-email?token=t",
                                     "user_name": "<b>Ana</b>", "professional_name": "<i>Ana</i>",
                                     "calendar_host": "calendar.example", "stale_hours": 24,
                                     "last_error": "The calendar server answered 500."}
    email = render_email(kind, locale, context)

    assert "<script>" not in email.html and "<b>Ana" not in email.html and "<i>Ana" not in email.html
    # Account e-mails greet the user and show no appointment.
    for_the_account = kind in ("password_reset", "email_verification", "calendar_source_flagged")
    escaped = "&lt;b&gt;Ana&lt;/b&gt;" if for_the_account else "&lt;script&gt;alert(&#39;x&#39;)"
    assert escaped in email.html


def test_professional_emails_greet_the_professional_and_show_the_client(appointment_context):
    email = render_email("new_booking", "es", appointment_context | {"dashboard_base_url": "https://pro.example"})

    assert email.text.startswith("Hola, Ana López:")
    assert "lucia@example.com" in email.text and "+34 600 000 000" in email.html
    assert "https://pro.example/dashboard/appointments/42" in email.text
    # Without the professionals' own frontend there is no dashboard to link to.
    assert "/dashboard/" not in render_email("new_booking", "es", appointment_context).text


def test_client_links_are_built_from_the_public_base_url(appointment_context):
    email = render_email("booking_confirmation", "en", appointment_context)

    assert "https://agenda.example/manage/tok-123" in email.text
    assert 'href="https://agenda.example/manage/tok-123"' in email.html


def test_rescheduled_shows_previous_and_new_time(appointment_context):
    email = render_email("rescheduled", "es", appointment_context)

    assert "viernes, 26 de marzo de 2027, 8:00 (Europe/Madrid)" in email.text  # before the DST change
    assert "lunes, 29 de marzo de 2027, 9:00 (Europe/Madrid)" in email.text


@pytest.mark.parametrize("locale", LOCALES)
def test_password_reset_contains_link_from_base_url(locale):
    email = render_email("password_reset", locale, {"user_name": "Ana", "reset_token": "abc",
                                                    "public_base_url": "https://agenda.example",
                                                    "expires_minutes": 60})

    assert email.subject
    assert "https://agenda.example/reset-password?token=abc" in email.text
    assert 'href="https://agenda.example/reset-password?token=abc"' in email.html
    assert "60" in email.text


@pytest.mark.parametrize(("locale", "expected"), [
    ("en", "en"), ("en-GB", "en"), ("en_US", "en"), ("ES", "es"), ("fr", "es"), ("", "es"), (None, "es"),
])
def test_locale_falls_back_to_spanish(locale, expected):
    assert normalize_locale(locale) == expected


def test_unknown_locale_renders_spanish(appointment_context):
    assert render_email("reminder", "de", appointment_context) == render_email("reminder", "es",
                                                                                appointment_context)


def test_unknown_kind_is_a_lookup_error(appointment_context):
    with pytest.raises(EmailTemplateNotFound) as caught:
        render_email("birthday_greeting", "es", appointment_context)
    assert isinstance(caught.value, LookupError)
    assert "birthday_greeting" in str(caught.value)


def test_missing_template_file_names_the_template(tmp_path, monkeypatch, appointment_context):
    monkeypatch.setenv("TEMPLATES_DIR", str(tmp_path))

    with pytest.raises(EmailTemplateNotFound, match=r"es/reminder\.subject\.txt"):
        render_email("reminder", "es", appointment_context)


def test_missing_required_values_are_named(appointment_context):
    context = {k: v for k, v in appointment_context.items() if k not in ("service_name", "previous_start")}

    with pytest.raises(EmailContextError, match="service_name, previous_start"):
        render_email("rescheduled", "es", context)


def test_naive_datetime_is_refused(appointment_context):
    with pytest.raises(EmailContextError):
        render_email("reminder", "es", appointment_context | {"start": datetime(2027, 3, 29, 9, 0)})


def test_unknown_timezone_is_refused(appointment_context):
    with pytest.raises(EmailContextError):
        render_email("reminder", "es", appointment_context | {"timezone": "Mars/Olympus"})


def test_subject_is_one_line_even_with_newlines_in_names(appointment_context):
    email = render_email("new_booking", "en", appointment_context | {"client_name": "Eve\r\nBcc: x@y.z"})

    assert re.fullmatch(r"[^\r\n]+", email.subject)


@pytest.mark.parametrize(("moment", "locale", "expected"), [
    (datetime(2027, 1, 11, 8, 0, tzinfo=UTC), "es", "lunes, 11 de enero de 2027, 9:00 (Europe/Madrid)"),
    (datetime(2027, 7, 4, 7, 30, tzinfo=UTC), "en", "Sunday, July 4, 2027, 9:30\u202fAM (Europe/Madrid)"),
    (datetime(2027, 10, 31, 0, 30, tzinfo=UTC), "es",
     "domingo, 31 de octubre de 2027, 2:30 (Europe/Madrid)"),  # last hour of summer time
])
def test_format_datetime_uses_wall_clock_in_the_zone(moment, locale, expected):
    assert timefmt.format_datetime(moment, "Europe/Madrid", locale) == expected


def test_format_at_time_agrees_in_spanish():
    one_am = datetime(2027, 1, 11, 0, 0, tzinfo=UTC)

    assert timefmt.format_at_time(one_am, "Europe/Madrid", "es") == "a la 1:00"
    assert timefmt.format_at_time(one_am + timedelta(hours=1), "Europe/Madrid", "es") == "a las 2:00"
    assert timefmt.format_at_time(one_am, "Europe/Madrid", "en") == "at 1:00\u202fAM"
