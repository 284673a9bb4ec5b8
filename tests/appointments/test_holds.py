"""Public bookings held until the client confirms them from their email (the review filled a calendar with
ten instantly confirmed bookings from one address and `squat+N@` emails)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, text, update

from shared import models as m
from shared.appointments import holds
from shared.config import reset_settings
from shared.db import unit_of_work
from shared.privacy.retention import purge_expired
from tests.appointments.conftest import at, future_weekday
from tests.factories import bearer, headers_for, make_admin, make_block, make_professional, make_service
from tests.pages.browser import read_mail

ADDRESS = {"REMOTE_ADDR": "203.0.113.7"}


@pytest.fixture
def page(uow):
    """A professional with the default settings of a new account (holds on, 30 minutes), free mornings
    every day and a 60-minute service."""
    professional = make_professional(uow.session, email="page@example.com", require_email_confirmation=True)
    for day in range(7):
        make_block(uow.session, professional, weekday=day, start="09:00", end="13:00")
    service = make_service(uow.session, professional, name="Therapy", duration_minutes=60)
    uow.commit()
    return professional, service


def _url(professional) -> str:
    return f"/public/professionals/{professional.public_slug}/appointments"


def _body(service, start, email="eva@example.com"):
    return {"service_id": service.id, "start_datetime": start.isoformat(), "name": "Eva", "email": email}


def _slots(http, professional, service, day) -> list[str]:
    response = http.get(f"/public/professionals/{professional.public_slug}/slots?service_id={service.id}"
                        f"&date={day}")
    assert response.status_code == 200, response.json
    return [slot["start_datetime"] for slot in response.json["slots"]]


def _confirm_path(appointment_id: int) -> str:
    """The confirmation link of the hold's email, read from the outbox as it would be sent."""
    with unit_of_work() as uow:
        notification_id = uow.session.scalar(select(m.Notification.id).where(
            m.Notification.appointment_id == appointment_id, m.Notification.type == "booking_hold"))
    [mail] = [mail for mail in read_mail("booking_hold") if mail.id == notification_id]
    [link] = {link for link in mail.links if "/confirm/" in link}
    return urlsplit(link).path


def _expire_hold(appointment_id: int, minutes_ago: int = 1) -> None:
    """The hold's time passes (its expiry moves into the past, as the clock would move past it)."""
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago)
    with unit_of_work() as uow:
        uow.session.execute(update(m.Appointment).where(m.Appointment.id == appointment_id)
                            .values(hold_expires_at=past))
        uow.session.execute(update(m.PublicLink).where(m.PublicLink.appointment_id == appointment_id)
                            .values(expires_at=past))
        uow.commit()


def test_new_and_existing_professionals_hold_public_bookings_for_30_minutes(uow):
    uow.session.execute(text("INSERT INTO users (email, password_hash, name, role) "
                             "VALUES ('old@example.com', 'x', 'Old', 'professional')"))
    user_id = uow.session.scalar(text("SELECT id FROM users WHERE email = 'old@example.com'"))
    uow.session.execute(text("INSERT INTO professionals (user_id, business_name, public_slug, timezone) "
                             f"VALUES ({user_id}, 'Old practice', 'old-practice', 'Europe/Madrid')"))
    professional_id = uow.session.scalar(text("SELECT id FROM professionals WHERE user_id = :u"),
                                         {"u": user_id})
    uow.session.execute(text("INSERT INTO professional_settings (professional_id) VALUES (:p)"),
                        {"p": professional_id})
    row = uow.session.execute(text("SELECT require_email_confirmation, booking_hold_minutes "
                                   "FROM professional_settings")).one()

    assert tuple(row) == (True, 30)


def test_a_public_booking_is_held_202_with_its_expiry_and_no_token(http, rows, page):
    professional, service = page
    day = future_weekday()
    start = at(day, 10)
    before = dt.datetime.now(dt.UTC)

    response = http.post(_url(professional), json=_body(service, start), environ_base=ADDRESS)

    assert response.status_code == 202, response.json
    body = response.json
    assert body["status"] == "held" and "cancellation_token" not in body
    assert "Location" not in response.headers
    expires = dt.datetime.fromisoformat(body["hold_expires_at"])
    assert expires.utcoffset() == start.utcoffset()  # shown in the professional's zone
    assert before + dt.timedelta(minutes=30) <= expires <= dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)
    assert (body["can_cancel"], body["can_reschedule"]) == (False, False)
    [appointment] = rows(m.Appointment)
    assert (appointment.status, appointment.hold_client_key) == (m.AppointmentStatus.held, "203.0.113.7")
    # Only the client hears, with the link that confirms it; the professional hears once it is confirmed.
    assert [(n.type, n.recipient) for n in rows(m.Notification)] == [("booking_hold", "eva@example.com")]
    # The slot is taken while the hold lasts.
    assert start.isoformat() not in _slots(http, professional, service, day)
    assert http.post(_url(professional), json=_body(service, start, email="ivan@example.com"),
                     environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code == 409


@pytest.mark.parametrize("default_status, emails", [
    ("confirmed", ["booking_hold", "booking_confirmation", "new_booking"]),
    ("pending", ["booking_hold", "booking_received", "new_booking"]),
])
def test_confirming_gives_the_default_status_and_the_usual_emails_once(http, rows, page, default_status,
                                                                        emails):
    professional, service = page
    with unit_of_work() as uow:
        uow.session.execute(update(m.ProfessionalSettings).values(default_appointment_status=default_status))
        uow.commit()
    booked = http.post(_url(professional), json=_body(service, at(future_weekday(), 10)),
                       environ_base=ADDRESS)
    path = _confirm_path(booked.json["id"])
    token = path.rsplit("/", 1)[1]

    confirmed = http.post(f"/appointments{path}")
    again = http.post(f"/appointments{path}")

    assert confirmed.status_code == 200, confirmed.json
    assert confirmed.json["status"] == default_status and confirmed.json["hold_expires_at"] is None
    assert confirmed.json["can_cancel"] is True
    assert again.status_code == 200 and again.json["status"] == default_status
    assert [n.type for n in rows(m.Notification)] == emails
    [appointment] = rows(m.Appointment)
    assert appointment.hold_client_key is None
    # The same link manages the booking from now on, for as long as any appointment's link.
    [link] = rows(m.PublicLink)
    assert link.expires_at == appointment.end_datetime + dt.timedelta(days=30)
    assert http.get(f"/public/appointments/{token}").json["status"] == default_status
    actions = [entry.action for entry in rows(m.AuditLog)]
    assert actions == ["appointment.created", "appointment.hold_confirmed"]


def test_an_expired_hold_frees_its_slot_at_once_and_cannot_be_confirmed(http, rows, page):
    professional, service = page
    day = future_weekday()
    start = at(day, 10)
    held = http.post(_url(professional), json=_body(service, start), environ_base=ADDRESS).json
    path = _confirm_path(held["id"])

    _expire_hold(held["id"])

    # The slot engine ignores it before any sweep has run.
    assert start.isoformat() in _slots(http, professional, service, day)
    assert http.post(f"/appointments{path}").status_code == 404  # a dead link, as every API link
    # Another client takes the slot: the expired hold is marked so in the same transaction.
    other = http.post(_url(professional), json=_body(service, start, email="ivan@example.com"),
                      environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert other.status_code == 202, other.json
    first, second = rows(m.Appointment)
    assert (first.status, first.hold_client_key) == (m.AppointmentStatus.expired, None)
    assert second.status == m.AppointmentStatus.held
    expired_audit = rows(m.AuditLog, action="appointment.hold_expired")
    assert [(a.entity_id, a.user_id) for a in expired_audit] == [(first.id, None)]


def test_the_professional_books_over_an_expired_hold_but_not_over_a_live_one(http, rows, page):
    professional, service = page
    day = future_weekday()
    live = http.post(_url(professional), json=_body(service, at(day, 9)), environ_base=ADDRESS).json
    lapsed = http.post(_url(professional), json=_body(service, at(day, 11), email="ivan@example.com"),
                       environ_base=ADDRESS).json
    _expire_hold(lapsed["id"])
    headers = headers_for(professional)

    def manual(start):
        return http.post("/appointments", headers=headers, json={
            "service_id": service.id, "start_datetime": start.isoformat(),
            "client": {"name": "Olga", "email": "olga@example.com"}})

    over_live, over_lapsed = manual(at(day, 9)), manual(at(day, 11))

    assert over_live.status_code == 409 and over_live.json["conflicting_appointment_id"] == live["id"]
    assert over_lapsed.status_code == 201, over_lapsed.json
    statuses = {a.id: a.status.value for a in rows(m.Appointment)}
    assert statuses[live["id"]] == "held" and statuses[lapsed["id"]] == "expired"


def test_the_sweep_expires_the_holds_past_their_time_only(http, rows, page):
    professional, service = page
    day = future_weekday()
    ids = [http.post(_url(professional), json=_body(service, at(day, 9 + n), email=f"c{n}@example.com"),
                     environ_base={"REMOTE_ADDR": f"198.51.100.{n}"}).json["id"] for n in range(3)]
    _expire_hold(ids[0])
    _expire_hold(ids[1], minutes_ago=60)

    with unit_of_work() as uow:
        swept = holds.expire(uow)
    with unit_of_work() as uow:
        again = holds.expire(uow)

    assert (swept, again) == (2, 0)
    assert [a.status.value for a in rows(m.Appointment)] == ["expired", "expired", "held"]
    assert len(rows(m.AuditLog, action="appointment.hold_expired")) == 2


class Visitors:
    """People booking on the page from addresses of their own, and the professional's client list."""

    def __init__(self, http, page):
        (self.professional, self.service), self.http = page, http
        self.day, self.headers = future_weekday(), headers_for(self.professional)
        self.addresses = 0

    def hold(self, hour: int, email: str) -> int:
        self.addresses += 1
        body = _body(self.service, at(self.day, hour), email)
        address = {"REMOTE_ADDR": f"198.51.100.{self.addresses}"}
        response = self.http.post(_url(self.professional), json=body, environ_base=address)
        assert response.status_code == 202, response.json
        return response.json["id"]

    def listed(self, query: str = "") -> list[str]:
        response = self.http.get(f"/clients?limit=100{query}", headers=self.headers)
        assert response.status_code == 200, response.json
        assert response.json["total"] == len(response.json["items"])
        return sorted(client["email"] for client in response.json["items"])

    def lapse(self, *appointment_ids: int) -> None:
        for appointment_id in appointment_ids:
            _expire_hold(appointment_id)
        with unit_of_work() as uow:
            assert holds.expire(uow) == len(appointment_ids)

    def professional_client(self, name: str, email: str) -> None:
        response = self.http.post("/clients", headers=self.headers, json={"name": name, "email": email})
        assert response.status_code == 201, response.json

    def professional_writes(self, client_id: int) -> None:
        response = self.http.put(f"/clients/{client_id}", headers=self.headers,
                                 json={"phone": "+34 600 000 000"})
        assert response.status_code == 200, response.json


def test_the_client_list_leaves_out_who_never_confirmed_a_booking(http, uow, rows, page):
    visitors = Visitors(http, page)
    admin = bearer(make_admin(uow.session, email="ops@example.com"))
    uow.commit()
    visitors.professional_client("Ana", "ana@example.com")
    eva = visitors.hold(9, "eva@example.com")      # lapses, and later books again and confirms
    visitors.hold(10, "ivan@example.com")           # still waiting for the click
    ana = visitors.hold(11, "ana@example.com")      # the professional's own client: lapses
    luz = visitors.hold(12, "luz@example.com")      # lapses, but the professional wrote to the row
    visitors.lapse(eva, ana, luz)
    assert len(rows(m.Client)) == 4
    assert visitors.listed() == ["ana@example.com"]
    assert visitors.listed("&q=example") == ["ana@example.com"]
    # The operator's counts of clients leave them out too.
    detail = http.get(f"/admin/professionals/{visitors.professional.id}", headers=admin)
    assert detail.status_code == 200 and detail.json["counts"]["clients"] == 1, detail.json
    new_clients = http.get("/admin/stats", headers=admin).json["totals"]["new_clients"]
    assert new_clients == 1

    visitors.professional_writes(rows(m.Client, email="luz@example.com")[0].id)
    again = visitors.hold(12, "eva@example.com")
    assert http.post(f"/appointments{_confirm_path(again)}").status_code == 200

    assert visitors.listed() == ["ana@example.com", "eva@example.com", "luz@example.com"]
    assert len(rows(m.Client)) == 4  # Eva's second booking found her first row
    # Left out of the list, not hidden from its own link.
    ivan = rows(m.Client, email="ivan@example.com")[0].id
    assert http.get(f"/clients/{ivan}", headers=visitors.headers).status_code == 200


def test_retention_deletes_who_never_confirmed_with_their_holds(http, rows, page):
    visitors = Visitors(http, page)
    visitors.professional_client("Ana", "ana@example.com")
    eva = visitors.hold(9, "eva@example.com")
    ivan = visitors.hold(10, "ivan@example.com")
    ana = visitors.hold(11, "ana@example.com")
    luz = visitors.hold(12, "luz@example.com")
    assert http.post(f"/appointments{_confirm_path(ivan)}").status_code == 200
    visitors.lapse(eva, ana, luz)
    visitors.lapse(visitors.hold(9, "zoe@example.com"))  # in Eva's lapsed time
    visitors.professional_writes(rows(m.Client, email="luz@example.com")[0].id)
    now = dt.datetime.now(dt.UTC)

    def purge(at_time: dt.datetime) -> int:
        with unit_of_work() as uow:
            return purge_expired(uow, months=24, now=at_time)["unconfirmed_clients_deleted"]

    assert purge(now) == 0  # lapsed minutes ago: kept for the retention period
    assert purge(now + dt.timedelta(days=25 * 31)) == 2  # Eva and Zoe

    assert [c.email for c in rows(m.Client)] == ["ana@example.com", "ivan@example.com", "luz@example.com"]
    assert sorted(a.id for a in rows(m.Appointment)) == sorted([ivan, ana, luz])
    assert rows(m.Notification, appointment_id=eva) == [] and rows(m.PublicLink, appointment_id=eva) == []
    assert visitors.listed() == ["ana@example.com", "ivan@example.com", "luz@example.com"]
    visitors.hold(9, "eva@example.com")  # she may book again: a new row, left out until she confirms
    assert len(rows(m.Client)) == 4 and visitors.listed() == ["ana@example.com", "ivan@example.com",
                                                              "luz@example.com"]


def test_one_address_holds_at_most_three_open_bookings(http, rows, page, monkeypatch):
    # The review's attack: ten bookings from one address with squat+N@ emails in a second (the per-address
    # booking rate is raised here, to show that the holds stop it, not the rate).
    monkeypatch.setenv("RATE_LIMIT_PUBLIC_BOOKING", "100/minute")
    reset_settings()
    professional, service = page
    day = future_weekday()
    starts = [at(day, 9 + n % 4) + dt.timedelta(days=n // 4) for n in range(10)]
    statuses = [http.post(_url(professional), json=_body(service, start, email=f"squat+{n}@example.com"),
                          environ_base=ADDRESS) for n, start in enumerate(starts)]

    assert [r.status_code for r in statuses] == [202] * 3 + [429] * 7
    assert 1 <= int(statuses[3].headers["Retry-After"]) <= 30 * 60
    assert "confirmation" in statuses[3].json["detail"]
    assert [a.status.value for a in rows(m.Appointment)] == ["held"] * 3
    # Another address in the same IPv6 /64 is the same client; another address is not.
    for n, address in enumerate(("2001:db8:1:2::5", "2001:db8:1:2::6", "2001:db8:1:2:ffff::1")):
        response = http.post(_url(professional), json=_body(service, at(day, 9) + dt.timedelta(days=5 + n),
                                                            email=f"v6+{n}@example.com"),
                             environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 202, (address, response.json)
    fourth = http.post(_url(professional), json=_body(service, at(day, 10) + dt.timedelta(days=5),
                                                      email="v6+9@example.com"),
                       environ_base={"REMOTE_ADDR": "2001:db8:1:2:aaaa::9"})
    assert fourth.status_code == 429
    # A hold that expires no longer counts.
    _expire_hold(statuses[0].json["id"])
    retry = http.post(_url(professional), json=_body(service, at(day, 12), email="squat+99@example.com"),
                      environ_base=ADDRESS)
    assert retry.status_code == 202, retry.json


def test_the_limits_of_open_holds_are_settings(http, page, monkeypatch):
    monkeypatch.setenv("OPEN_HOLDS_PER_ADDRESS", "1")
    monkeypatch.setenv("OPEN_HOLDS_PER_PROFESSIONAL", "2")
    reset_settings()
    professional, service = page
    day = future_weekday()

    def hold(n, address):
        return http.post(_url(professional), json=_body(service, at(day, 9 + n), email=f"c{n}@example.com"),
                         environ_base={"REMOTE_ADDR": address}).status_code

    assert [hold(0, "198.51.100.1"), hold(1, "198.51.100.1")] == [202, 429]
    assert [hold(2, "198.51.100.2"), hold(3, "198.51.100.3")] == [202, 429]


def test_without_email_confirmation_a_booking_is_confirmed_at_once(http, page):
    professional, service = page
    with unit_of_work() as uow:
        uow.session.execute(update(m.ProfessionalSettings).values(require_email_confirmation=False))
        uow.commit()

    response = http.post(_url(professional), json=_body(service, at(future_weekday(), 10)),
                         environ_base=ADDRESS)

    assert response.status_code == 201 and response.json["cancellation_token"]


def test_the_professional_sees_a_hold_may_cancel_it_but_not_confirm_it(http, rows, page):
    professional, service = page
    held = http.post(_url(professional), json=_body(service, at(future_weekday(), 10)),
                     environ_base=ADDRESS).json
    headers = headers_for(professional)

    shown = http.get(f"/appointments/{held['id']}", headers=headers)
    confirmed = http.put(f"/appointments/{held['id']}", headers=headers, json={"status": "confirmed"})
    made_held = http.put(f"/appointments/{held['id']}", headers=headers, json={"status": "held"})
    cancelled = http.delete(f"/appointments/{held['id']}", headers=headers)

    assert shown.status_code == 200 and shown.json["status"] == "held" and shown.json["hold_expires_at"]
    assert confirmed.status_code == 409 and confirmed.json["current_status"] == "held"
    assert made_held.status_code == 422
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled_by_professional"
    assert http.get("/appointments?status=held", headers=headers).json["total"] == 0


def test_expired_holds_are_no_client_cancellations_in_the_statistics(http, uow, page):
    professional, service = page
    day = future_weekday()
    held = http.post(_url(professional), json=_body(service, at(day, 10)), environ_base=ADDRESS).json
    http.post(_url(professional), json=_body(service, at(day, 11), email="ivan@example.com"),
              environ_base=ADDRESS)
    _expire_hold(held["id"])
    with unit_of_work() as work:
        holds.expire(work)
    admin = make_admin(uow.session, email="ops@example.com")
    uow.commit()

    response = http.get(f"/admin/stats?from={day}&to={day}", headers=bearer(admin))

    assert response.status_code == 200, response.json
    counts = response.json["totals"]["appointments"]
    assert (counts["expired"], counts["held"], counts["cancelled_by_client"], counts["total"]) == (1, 1, 0, 1)
    assert response.json["totals"]["clients"] == 1


def test_a_series_and_its_move_take_times_where_holds_lapsed_and_not_where_one_is_live(http, rows, page):
    professional, service = page
    day = future_weekday()
    week = dt.timedelta(days=7)
    lapsed = [http.post(_url(professional), json=_body(service, at(day, 10) + week * n,
                                                       email=f"l{n}@example.com"),
                        environ_base={"REMOTE_ADDR": f"198.51.100.{n}"}).json["id"] for n in (1, 2)]
    live = http.post(_url(professional), json=_body(service, at(day, 12) + week, email="live@example.com"),
                     environ_base={"REMOTE_ADDR": "198.51.100.9"}).json["id"]
    for appointment_id in lapsed:
        _expire_hold(appointment_id)
    headers = headers_for(professional)

    series = http.post("/appointments", headers=headers, json={
        "service_id": service.id, "start_datetime": at(day, 10).isoformat(),
        "client": {"name": "Olga", "email": "olga@example.com"},
        "recurrence": {"every_weeks": 1, "count": 3}})
    assert series.status_code == 201, series.json
    first = series.json["appointments"][0]["id"]
    over_live = http.put(f"/appointments/{first}?scope=all", headers=headers,
                         json={"start_datetime": at(day, 12).isoformat()})

    assert over_live.status_code == 409 and over_live.json["conflicts"] == [(at(day, 12) + week).isoformat()]
    statuses = {a.id: a.status.value for a in rows(m.Appointment)}
    assert [statuses[i] for i in (*lapsed, live)] == ["expired", "expired", "held"]
    assert len(rows(m.AuditLog, action="appointment.hold_expired")) == 2
