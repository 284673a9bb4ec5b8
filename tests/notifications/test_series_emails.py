"""The e-mails of a weekly series say it is a series: how many sessions, how often, the first and the last
(in the professional's zone), the weeks left without one, and, for a change, which sessions it reaches.
A single appointment's e-mail says nothing of the kind."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from shared.appointments.status import cancel
from shared.appointments.update import update
from shared.db import unit_of_work
from shared.models import Notification
from shared.notifications.render import LOCALES, render_email
from shared.notifications.service import deliver

from .conftest import ses_sent_messages
from .outbox_support import T0, body, parse
from .series_support import book_twelve_weeks, in_one, week, week_nine_taken

SERIES_WORDS = {"es": ("serie", "sesion", "sesión"), "en": ("series", "session")}
NEW_SERIES = {
    "es": ("Serie semanal: 11 sesiones, del martes, 5 de octubre de 2027, 18:00 (Europe/Madrid) al martes, "
           "21 de diciembre de 2027, 18:00 (Europe/Madrid).",
           "Sin sesión: martes, 30 de noviembre de 2027 (esa hora ya estaba ocupada)."),
    "en": ("Weekly series: 11 sessions, from Tuesday, October 5, 2027, 6:00 PM (Europe/Madrid) to Tuesday, "
           "December 21, 2027, 6:00 PM (Europe/Madrid).",
           "No session on: Tuesday, November 30, 2027 (that time was already taken)."),
}
FOLLOWING = {
    "es": "Afecta a esta sesión y a las siguientes de la serie (semanal): 6 sesiones, del martes, 9 de "
          "noviembre de 2027, 18:00 (Europe/Madrid) al martes, 21 de diciembre de 2027, 18:00 "
          "(Europe/Madrid).",
    "en": "This concerns this session and the following ones of the series (weekly): 6 sessions, from "
          "Tuesday, November 9, 2027, 6:00 PM (Europe/Madrid) to Tuesday, December 21, 2027, 6:00 PM "
          "(Europe/Madrid).",
}
ONLY_THIS = {
    "es": "Solo afecta a esta sesión; las demás sesiones de la serie (semanal) siguen como estaban.",
    "en": "This concerns this session only; the other sessions of the series (weekly) stay as they are.",
}


def _sent(seen: set[int]) -> list[tuple[str, str, str]]:
    """(kind, text, html) of every notification written since the last call, each delivered now."""
    with unit_of_work() as work:
        rows = [(n.id, n.type) for n in work.session.scalars(select(Notification).order_by(Notification.id))
                if n.id not in seen]
    found = []
    for notification_id, kind in rows:
        seen.add(notification_id)
        assert deliver(notification_id, now=T0).status == "sent"
        message = parse(ses_sent_messages()[-1].raw_data)
        text, html = (" ".join(body(message, subtype).split()) for subtype in ("plain", "html"))
        found.append((kind, text, html))
    return found


@pytest.mark.parametrize("locale", LOCALES)
def test_series_emails_name_the_sessions_cadence_and_scope(ses, uow, professional, locale):
    professional.settings.locale = locale
    actor, service_id, client_id = week_nine_taken(uow, professional)
    seen: set[int] = set()
    _sent(seen)

    # One confirmation: 11 sessions, weekly, across the DST change at 18:00, week 9 skipped.
    series = book_twelve_weeks(actor, service_id, client_id)
    [(kind, text, html)] = _sent(seen)
    assert kind == "booking_confirmation"
    for line in NEW_SERIES[locale]:
        assert line in text and line in html

    # One occurrence moved alone: only this one.
    in_one(update, actor=actor, appointment_id=series.appointments[2].id, now=T0,
            appointment_in={"start_datetime": week(3, hour=20)})
    [(kind, text, html)] = _sent(seen)
    assert kind == "rescheduled" and ONLY_THIS[locale] in text and ONLY_THIS[locale] in html

    # This and the following ones (weeks 6-12 but the skipped 9th) cancelled: one e-mail naming them.
    in_one(cancel, actor=actor, appointment_id=series.appointments[5].id, scope="following", now=T0)
    [(kind, text, html)] = _sent(seen)
    assert kind == "cancelled_by_professional"
    assert FOLLOWING[locale] in text and FOLLOWING[locale] in html


@pytest.mark.parametrize("locale", LOCALES)
def test_a_change_to_all_sessions_and_an_every_two_weeks_series(locale, appointment_context):
    start = appointment_context["start"]
    context = appointment_context | {
        "series_every_weeks": 2, "series_scope": "all", "series_count": 3, "series_first_start": start,
        "series_last_start": start + dt.timedelta(weeks=4)}
    email = render_email("rescheduled", locale, context)

    expected = {
        "es": "Afecta a todas las próximas sesiones de la serie (cada 2 semanas): 3 sesiones, del lunes, "
              "29 de marzo de 2027, 9:00 (Europe/Madrid) al lunes, 26 de abril de 2027, 9:00 "
              "(Europe/Madrid).",
        "en": "This concerns all the upcoming sessions of the series (every 2 weeks): 3 sessions, from "
              "Monday, March 29, 2027, 9:00 AM (Europe/Madrid) to Monday, April 26, 2027, 9:00 AM "
              "(Europe/Madrid).",
    }[locale]
    assert expected in " ".join(email.text.split()) and expected in " ".join(email.html.split())
    new = render_email("booking_received", locale, context | {"series_scope": None, "series_count": 1})
    single_session = {"es": "1 sesión, el lunes, 29 de marzo de 2027, 9:00 (Europe/Madrid).",
                      "en": "1 session, on Monday, March 29, 2027, 9:00\u202fAM (Europe/Madrid)."}[locale]
    assert single_session in new.text


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", ("booking_confirmation", "booking_received", "rescheduled",
                                  "cancelled_by_professional", "cancellation_confirmation",
                                  "cancelled_by_client", "reminder"))
def test_a_single_appointment_email_has_no_series_line(kind, locale, appointment_context):
    email = render_email(kind, locale, appointment_context | {"client_comment": None})

    for body_ in (email.text.lower(), email.html.lower()):
        assert not any(word in body_ for word in SERIES_WORDS[locale]), body_


SEVERAL = {  # kind: (subject, opening) per locale, for a change that reaches 3 sessions of a series
    "es": {
        "rescheduled": ("3 citas de tu serie han cambiado", "Tus citas con Ana López han cambiado de fecha"),
        "cancelled_by_professional": ("Se han cancelado 3 citas de tu serie",
                                      "ha tenido que cancelar estas citas de tu serie:"),
        "cancellation_confirmation": ("Cancelación confirmada: Terapia individual, 3 citas de tu serie",
                                      "Te confirmamos que has cancelado estas citas con Ana López:"),
        "cancelled_by_client": ("3 citas de una serie canceladas por Laura Gómez",
                                "Laura Gómez ha cancelado las siguientes citas de una serie."),
    },
    "en": {
        "rescheduled": ("3 appointments of your series have moved",
                        "Your appointments with Ana López have been moved to a new date or time."),
        "cancelled_by_professional": ("3 appointments of your series have been cancelled",
                                      "has had to cancel these appointments of your series:"),
        "cancellation_confirmation": (
            "Cancellation confirmed: Terapia individual, 3 appointments of your series",
            "This confirms that you have cancelled these appointments with Ana López:"),
        "cancelled_by_client": ("3 appointments of a series cancelled by Laura Gómez",
                                "Laura Gómez has cancelled the following appointments of a series."),
    },
}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", ("rescheduled", "cancelled_by_professional", "cancellation_confirmation",
                                  "cancelled_by_client"))
def test_a_change_to_several_sessions_speaks_of_them_not_of_one(kind, locale, appointment_context):
    start = appointment_context["start"]
    series = {"series_every_weeks": 1, "series_count": 3, "series_first_start": start,
              "series_last_start": start + dt.timedelta(weeks=2), "client_name": "Laura Gómez"}
    subject, opening = SEVERAL[locale][kind]
    for scope in ("following", "all"):
        email = render_email(kind, locale, appointment_context | series | {"series_scope": scope})
        assert email.subject == subject
        assert opening in " ".join(email.text.split()) and opening in " ".join(email.html.split())
    # One session of the series, or a change that reaches only one: the usual words.
    for scope, count in (("this", 3), ("following", 1)):
        email = render_email(kind, locale, appointment_context | series | {"series_scope": scope,
                                                                           "series_count": count})
        assert email.subject == render_email(kind, locale, appointment_context | {
            "client_name": "Laura Gómez"}).subject
        assert opening not in " ".join(email.text.split())
