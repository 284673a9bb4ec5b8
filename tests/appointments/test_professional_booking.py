"""The professional books, lists, shows, changes and cancels appointments (service level and over HTTP)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select, text

from shared import models as m
from shared.appointments import queries
from shared.appointments.actors import Actor
from shared.appointments.book import book
from shared.appointments.status import cancel
from shared.appointments.update import update
from shared.errors import Conflict, NotFound, ValidationFailed
from tests.appointments.conftest import NOW, madrid
from tests.factories import make_appointment, make_client, make_professional, make_service

TUESDAY_10 = madrid(2030, 6, 4, 10)


def _create(run, professional, service, *, start=TUESDAY_10, **extra):
    appointment_in = {"service_id": service.id, "start_datetime": start, **extra}
    if "client_id" not in extra and "client" not in extra:
        appointment_in["client"] = {"name": "New Person", "email": "new@example.com", "phone": None}
    actor = Actor.professional(professional.id, professional.user_id, ip_address="203.0.113.7",
                               request_id="req-1")
    return run(book, actor=actor, booking_in=appointment_in, now=NOW)


# Creating


def test_booking_an_existing_client_derives_the_end_and_takes_the_default_status(run, rows, professional,
                                                                                 service, client):
    view = _create(run, professional, service, client_id=client.id, notes="First session")

    assert view.client_id == client.id and view.service_id == service.id
    assert view.start_datetime == TUESDAY_10
    assert view.end_datetime == TUESDAY_10 + dt.timedelta(minutes=60)
    assert view.start_datetime.utcoffset() == dt.timedelta(hours=2)  # shown in the professional's zone
    assert view.status == "confirmed"  # professional_settings.default_appointment_status
    assert view.notes == "First session" and view.created_from_public_link is False
    [stored] = rows(m.Appointment)
    assert stored.start_datetime == TUESDAY_10 and stored.sequence == 0


def test_booking_writes_the_client_confirmation_a_manage_link_and_an_audit_row(run, rows, professional,
                                                                              service, client):
    view = _create(run, professional, service, client_id=client.id)

    [notification] = rows(m.Notification)
    assert (notification.type, notification.recipient) == ("booking_confirmation", "ana@example.com")
    assert notification.appointment_id == view.id and notification.professional_id == professional.id
    [link] = rows(m.PublicLink)
    assert link.appointment_id == view.id and link.type == m.LinkType.appointment
    assert link.expires_at == view.end_datetime + dt.timedelta(days=30)
    [entry] = rows(m.AuditLog)
    assert (entry.action, entry.entity_type, entry.entity_id) == ("appointment.created", "appointment",
                                                                   view.id)
    assert entry.user_id == professional.user_id and entry.request_id == "req-1"
    assert str(entry.ip_address) == "203.0.113.7"


def test_an_inline_client_is_created_then_found_again_by_email(run, rows, professional, service):
    first = _create(run, professional, service,
                    client={"name": "Bea", "email": "bea@example.com", "phone": "+34 611"})
    second = _create(run, professional, service, start=TUESDAY_10 + dt.timedelta(hours=2),
                     client={"name": "Someone Else", "email": "bea@example.com", "phone": None})

    assert first.client_id == second.client_id
    [stored] = rows(m.Client)
    assert (stored.name, stored.email, stored.phone) == ("Bea", "bea@example.com", "+34 611")


def test_the_professional_may_book_outside_their_availability(run, professional, service, client, count):
    # No availability blocks exist at all, and 23:00 on a Sunday is nobody's working time.
    view = _create(run, professional, service, client_id=client.id, start=madrid(2030, 6, 9, 23))
    assert view.end_datetime == madrid(2030, 6, 10, 0)
    assert count(m.AvailabilityBlock) == 0


@pytest.mark.parametrize("status", ["pending", "confirmed"])
def test_an_overlap_is_a_conflict_that_leaves_nothing_behind(run, uow, count, professional, service, client,
                                                              status):
    make_appointment(uow.session, professional, service=service, client=client, start=TUESDAY_10,
                     status=status)
    uow.commit()
    before = {model: count(model) for model in (m.Client, m.Notification, m.AuditLog, m.Appointment,
                                                 m.PublicLink)}

    with pytest.raises(Conflict) as raised:
        _create(run, professional, service, start=TUESDAY_10 + dt.timedelta(minutes=30),
                client={"name": "Late", "email": "late@example.com", "phone": None})

    assert raised.value.extra["slug"] == "overlap"
    assert "overlaps another appointment" in raised.value.detail
    assert {model: count(model) for model in before} == before


def test_touching_and_cancelled_appointments_do_not_block(run, uow, professional, service, client):
    make_appointment(uow.session, professional, service=service, client=client,
                     start=TUESDAY_10 - dt.timedelta(hours=1))  # ends exactly at 10:00
    make_appointment(uow.session, professional, service=service, client=client, start=TUESDAY_10,
                     status="cancelled_by_client")
    uow.commit()

    assert _create(run, professional, service, client_id=client.id).status == "confirmed"


def test_the_database_refuses_an_overlap_the_application_check_could_not_see(run, db_url, professional,
                                                                             service, client, count):
    """A booking committed while ours is between its check and its insert: the exclusion constraint wins."""
    from shared.db import unit_of_work

    results = []
    with unit_of_work() as other:
        # Another transaction holds an overlapping appointment, not yet committed: invisible to our check.
        make_appointment(other.session, professional, service=service, client=client, start=TUESDAY_10)

        def book():
            try:
                results.append(_create(run, professional, service, client_id=client.id))
            except Conflict as error:
                results.append(error)

        worker = threading.Thread(target=book)
        worker.start()
        _wait_for_lock_wait(other.session)
        other.commit()
        worker.join()

    [outcome] = results
    assert isinstance(outcome, Conflict) and outcome.extra["slug"] == "overlap"
    assert count(m.Appointment) == 1 and count(m.Notification) == 0 and count(m.AuditLog) == 0


def _wait_for_lock_wait(session) -> None:
    """Block until another backend waits on a lock (our insert queued behind the open transaction)."""
    query = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                 "AND datname = current_database()")
    engine = session.get_bind()
    while True:
        with engine.connect() as conn:
            if conn.execute(query).scalar():
                return
        threading.Event().wait(0.02)


def test_a_pending_booking_tells_the_client_it_awaits_confirmation(run, rows, professional, service, client):
    view = _create(run, professional, service, client_id=client.id, status="pending")

    assert view.status == "pending"
    assert [(n.type, n.recipient) for n in rows(m.Notification)] == [("booking_received", client.email)]
    assert [a.action for a in rows(m.AuditLog)] == ["appointment.created"]


def test_the_default_status_comes_from_the_settings(run, uow, rows):
    pro = make_professional(uow.session, default_appointment_status="pending")
    svc = make_service(uow.session, pro)
    uow.commit()

    assert _create(run, pro, svc).status == "pending"


def test_an_inactive_service_cannot_be_booked(run, uow, professional):
    svc = make_service(uow.session, professional, is_active=False)
    uow.commit()

    with pytest.raises(ValidationFailed) as raised:
        _create(run, professional, svc)
    assert "service_id" in raised.value.errors


def test_another_professionals_service_or_client_is_not_found(run, uow, professional, other_professional,
                                                              service, client, count):
    foreign_service = make_service(uow.session, other_professional)
    foreign_client = make_client(uow.session, other_professional)
    uow.commit()

    with pytest.raises(NotFound):
        _create(run, professional, foreign_service, client_id=client.id)
    with pytest.raises(NotFound):
        _create(run, professional, service, client_id=foreign_client.id)
    assert count(m.Appointment) == 0


def test_no_emails_are_written_when_the_professional_turned_them_off(run, uow, rows):
    pro = make_professional(uow.session, email_notification_enabled=False)
    svc = make_service(uow.session, pro)
    uow.commit()

    view = _create(run, pro, svc)
    run(cancel, actor=Actor.professional(pro.id), appointment_id=view.id, now=NOW)

    assert rows(m.Notification) == []
    assert [a.action for a in rows(m.AuditLog)] == ["appointment.created", "appointment.cancelled"]


# Listing and showing


def test_list_is_ordered_by_start_filtered_and_paged(run, uow, professional, service, client):
    other_client = make_client(uow.session, professional, email="zoe@example.com")
    second_service = make_service(uow.session, professional, name="Short", duration_minutes=30)
    starts = [madrid(2030, 6, 6, 12), madrid(2030, 6, 4, 9), madrid(2030, 6, 5, 17)]
    made = [make_appointment(uow.session, professional, service=service, client=client, start=s)
            for s in starts]
    make_appointment(uow.session, professional, service=second_service, client=other_client,
                     start=madrid(2030, 6, 5, 9), status="cancelled_by_client")
    uow.commit()

    def listing(**filters):
        items, total = run(queries.get_all, actor=Actor.professional(professional.id), limit=50, offset=0,
                           **filters)
        return [item.start_datetime for item in items], total

    everything, total = listing()
    assert total == 4 and everything == sorted(everything)
    page, total = run(queries.get_all, actor=Actor.professional(professional.id), limit=2, offset=1)
    assert total == 4 and [p.start_datetime for p in page] == everything[1:3]
    assert listing(status=["cancelled_by_client"]) == ([madrid(2030, 6, 5, 9)], 1)
    assert listing(client_id=other_client.id)[1] == 1
    assert listing(service_id=service.id)[1] == 3
    # A date `to` includes that whole local day; `from` starts at its local midnight.
    assert listing(date_from=dt.date(2030, 6, 5), date_to=dt.date(2030, 6, 5)) == (
        [madrid(2030, 6, 5, 9), madrid(2030, 6, 5, 17)], 2)
    assert listing(date_from=madrid(2030, 6, 5, 17, 30))[1] == 2  # overlapping the period counts
    assert made[0].id in [i.id for i in run(queries.get_all, actor=Actor.professional(professional.id),
                                           limit=50, offset=0)[0]]


def test_http_list_and_show_return_the_read_shape_in_the_professionals_zone(http, uow, headers, professional,
                                                                            service, client):
    appointment = make_appointment(uow.session, professional, service=service, client=client,
                                   start=madrid(2030, 1, 15, 9), notes="private")
    uow.commit()

    listed = http.get("/appointments?from=2030-01-01&to=2030-01-31&limit=10", headers=headers)
    shown = http.get(f"/appointments/{appointment.id}", headers=headers)

    assert listed.status_code == 200 and shown.status_code == 200
    assert {k: listed.json[k] for k in ("total", "limit", "offset")} == {"total": 1, "limit": 10, "offset": 0}
    [item] = listed.json["items"]
    assert item == shown.json
    assert set(item) == {"id", "service_id", "client_id", "client", "service", "start_datetime",
                         "end_datetime", "timezone", "status", "notes", "client_comment",
                         "created_from_public_link", "cancelled_at", "hold_expires_at", "created_at",
                         "updated_at", "series_id"}
    assert item["series_id"] is None  # a single appointment
    assert item["start_datetime"] == "2030-01-15T09:00:00+01:00"  # winter time in Madrid
    assert item["end_datetime"] == "2030-01-15T10:00:00+01:00"
    assert item["client"] == {"id": client.id, "name": "Ana Client", "email": "ana@example.com",
                              "phone": "+34 600 000 001"}
    assert item["service"] == {"id": service.id, "name": "Therapy", "duration_minutes": 60}
    assert item["created_at"].endswith("+01:00") or item["created_at"].endswith("+02:00")


def test_http_create_returns_201_with_location(http, headers, service):
    response = http.post("/appointments", headers=headers, json={
        "service_id": service.id, "start_datetime": "2030-06-04T10:00:00+02:00",
        "client": {"name": "Carla", "email": " Carla@Example.com "}, "notes": "hi"})

    assert response.status_code == 201, response.json
    assert response.headers["Location"] == f"/appointments/{response.json['id']}"
    assert response.json["client"]["email"] == "carla@example.com"
    assert response.json["status"] == "confirmed"


@pytest.mark.parametrize("body, field", [
    ({"start_datetime": "2030-06-04T10:00:00"}, "start_datetime"),  # no offset
    ({"start_datetime": "2030-06-04T10:00:30+02:00"}, "start_datetime"),  # not a whole minute
    ({"client_id": 1, "client": {"name": "A", "email": "a@example.com"}}, "client_id"),
    ({"client": None}, "client"),
    ({"status": "completed"}, "status"),
    ({"client": {"name": "A", "email": "not-an-email"}}, "client.email"),
])
def test_http_create_rejects_invalid_input(http, headers, service, body, field):
    payload = {"service_id": service.id, "start_datetime": "2030-06-04T10:00:00+02:00",
               "client": {"name": "Ana", "email": "ana@example.com"}}
    payload.update(body)
    response = http.post("/appointments", headers=headers, json=payload)
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_http_overlap_is_409_problem(http, uow, headers, professional, service, client):
    make_appointment(uow.session, professional, service=service, client=client, start=TUESDAY_10)
    uow.commit()

    response = http.post("/appointments", headers=headers, json={
        "service_id": service.id, "start_datetime": "2030-06-04T10:59:00+02:00", "client_id": client.id})

    assert response.status_code == 409
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json["type"].endswith("/overlap")


# Changing


def test_reschedule_moves_rederives_the_end_bumps_the_sequence_and_tells_the_client(run, rows, professional,
                                                                                   service, client):
    view = _create(run, professional, service, client_id=client.id)
    new_start = madrid(2030, 6, 5, 16, 30)

    moved = run(update, actor=Actor.professional(professional.id), appointment_id=view.id,
                appointment_in={"start_datetime": new_start}, now=NOW)

    assert moved.start_datetime == new_start and moved.end_datetime == new_start + dt.timedelta(hours=1)
    [stored] = rows(m.Appointment)
    assert stored.sequence == 1
    kinds = [(n.type, n.recipient, n.payload) for n in rows(m.Notification)]
    assert kinds[-1] == ("rescheduled", "ana@example.com", {"previous_start": TUESDAY_10.astimezone(dt.UTC)
                                                            .isoformat()})
    assert [a.action for a in rows(m.AuditLog)] == ["appointment.created", "appointment.rescheduled"]
    [link] = rows(m.PublicLink)
    assert link.expires_at == new_start + dt.timedelta(hours=1, days=30)


def test_reschedule_over_another_appointment_is_a_conflict(run, uow, rows, professional, service, client):
    view = _create(run, professional, service, client_id=client.id)
    blocker = make_appointment(uow.session, professional, service=service, client=client,
                               start=madrid(2030, 6, 5, 10))
    uow.commit()

    with pytest.raises(Conflict) as raised:
        run(update, actor=Actor.professional(professional.id), appointment_id=view.id,
            appointment_in={"start_datetime": madrid(2030, 6, 5, 10, 30)}, now=NOW)

    assert raised.value.extra["conflicting_appointment_id"] == blocker.id
    assert [a.sequence for a in rows(m.Appointment)] == [0, 0]


def test_reschedule_may_overlap_its_own_old_time(run, professional, service, client):
    view = _create(run, professional, service, client_id=client.id)
    moved = run(update, actor=Actor.professional(professional.id), appointment_id=view.id,
                appointment_in={"start_datetime": TUESDAY_10 + dt.timedelta(minutes=30)}, now=NOW)
    assert moved.start_datetime == TUESDAY_10 + dt.timedelta(minutes=30)


def test_a_cancelled_appointment_cannot_be_rescheduled(run, uow, professional, service, client):
    appointment = make_appointment(uow.session, professional, service=service, client=client,
                                   start=TUESDAY_10, status="cancelled_by_client")
    uow.commit()

    with pytest.raises(Conflict) as raised:
        run(update, actor=Actor.professional(professional.id), appointment_id=appointment.id,
            appointment_in={"start_datetime": TUESDAY_10 + dt.timedelta(days=1)}, now=NOW)
    assert "cancelled_by_client" in raised.value.detail
    assert raised.value.extra["current_status"] == "cancelled_by_client"


def test_rescheduling_and_cancelling_at_once_is_refused(run, professional, service, client):
    view = _create(run, professional, service, client_id=client.id)
    with pytest.raises(Conflict):
        run(update, actor=Actor.professional(professional.id), appointment_id=view.id,
            appointment_in={"start_datetime": TUESDAY_10 + dt.timedelta(days=1),
                            "status": "cancelled_by_professional"}, now=NOW)


def test_rescheduling_and_confirming_at_once_is_allowed(run, rows, professional, service, client):
    view = _create(run, professional, service, client_id=client.id, status="pending")
    new_start = TUESDAY_10 + dt.timedelta(days=1)

    changed = run(update, actor=Actor.professional(professional.id), appointment_id=view.id,
                  appointment_in={"start_datetime": new_start, "status": "confirmed"}, now=NOW)

    assert (changed.status, changed.start_datetime) == ("confirmed", new_start)
    assert [n.type for n in rows(m.Notification)] == ["booking_received", "rescheduled",
                                                      "booking_confirmation"]


def test_notes_and_client_change_without_notifying(run, uow, rows, professional, service, client):
    view = _create(run, professional, service, client_id=client.id)
    other = make_client(uow.session, professional, email="other-client@example.com")
    uow.commit()

    changed = run(update, actor=Actor.professional(professional.id), appointment_id=view.id,
                  appointment_in={"notes": "Bring the report", "client_id": other.id}, now=NOW)

    assert (changed.notes, changed.client_id, changed.client.email) == ("Bring the report", other.id,
                                                                        "other-client@example.com")
    assert [n.type for n in rows(m.Notification)] == ["booking_confirmation"]
    assert rows(m.AuditLog)[-1].metadata_ == {"fields": ["client_id", "notes"]}
    old_link, new_link = rows(m.PublicLink)  # the previous client's link no longer manages it
    assert old_link.revoked_at == NOW and new_link.revoked_at is None
    assert new_link.appointment_id == view.id
    assert rows(m.AuditLog)[-1].action == "appointment.updated"


def test_giving_the_current_values_again_changes_nothing(run, rows, professional, service, client):
    view = _create(run, professional, service, client_id=client.id)

    same = run(update, actor=Actor.professional(professional.id), appointment_id=view.id,
               appointment_in={"status": "confirmed", "start_datetime": TUESDAY_10, "client_id": client.id},
               now=NOW)

    assert same.status == "confirmed" and same.updated_at == view.updated_at
    assert len(rows(m.AuditLog)) == 1 and len(rows(m.Notification)) == 1


def test_http_update_reason_needs_a_cancellation(http, headers, run, professional, service, client):
    view = _create(run, professional, service, client_id=client.id)
    response = http.put(f"/appointments/{view.id}", headers=headers, json={"reason": "ill"})
    assert response.status_code == 422 and "reason" in response.json["errors"]
    response = http.put(f"/appointments/{view.id}", headers=headers, json={})
    assert response.status_code == 422


# Cancelling


def test_delete_cancels_by_the_professional_and_keeps_the_row(http, headers, run, rows, professional, service,
                                                              client):
    view = _create(run, professional, service, client_id=client.id)

    response = http.delete(f"/appointments/{view.id}", headers=headers, json={"reason": "Ill today"})

    assert response.status_code == 200
    assert response.json["status"] == "cancelled_by_professional" and response.json["cancelled_at"]
    [stored] = rows(m.Appointment)
    assert stored.status == m.AppointmentStatus.cancelled_by_professional and stored.sequence == 1
    last = rows(m.Notification)[-1]
    assert (last.type, last.recipient, last.payload) == ("cancelled_by_professional", "ana@example.com",
                                                         {"reason": "Ill today"})
    assert rows(m.AuditLog)[-1].action == "appointment.cancelled"

    again = http.delete(f"/appointments/{view.id}", headers=headers)
    assert again.status_code == 409
    assert "cancelled_by_professional" in again.json["detail"]
    assert again.json["current_status"] == "cancelled_by_professional"
    assert len(rows(m.Notification)) == 2


@pytest.mark.parametrize("extra", [{}, {"content_type": "application/json"}])
def test_delete_without_a_body_works(http, headers, run, rows, professional, service, client, extra):
    view = _create(run, professional, service, client_id=client.id)
    response = http.delete(f"/appointments/{view.id}", headers=headers, **extra)
    assert response.status_code == 200 and response.json["status"] == "cancelled_by_professional"
    assert rows(m.Notification)[-1].payload == {"reason": None}


@pytest.mark.parametrize("status", ["completed", "cancelled_by_client"])
def test_a_finished_appointment_cannot_be_cancelled(run, uow, professional, service, client, status):
    appointment = make_appointment(uow.session, professional, service=service, client=client,
                                   start=NOW - dt.timedelta(days=1), status=status)
    uow.commit()
    with pytest.raises(Conflict) as raised:
        run(cancel, actor=Actor.professional(professional.id), appointment_id=appointment.id, now=NOW)
    assert raised.value.extra["current_status"] == status


# Tenant isolation over HTTP


def test_another_professionals_ids_are_404_everywhere(http, uow, professional, other_professional, headers):
    foreign_service = make_service(uow.session, other_professional)
    foreign_client = make_client(uow.session, other_professional)
    foreign = make_appointment(uow.session, other_professional, service=foreign_service,
                               client=foreign_client, start=TUESDAY_10)
    own_service = make_service(uow.session, professional)
    own_client = make_client(uow.session, professional)
    own = make_appointment(uow.session, professional, service=own_service, client=own_client,
                           start=TUESDAY_10)
    uow.commit()
    start = "2030-06-07T10:00:00+02:00"

    calls = [
        http.get(f"/appointments/{foreign.id}", headers=headers),
        http.put(f"/appointments/{foreign.id}", headers=headers, json={"notes": "x"}),
        http.delete(f"/appointments/{foreign.id}", headers=headers),
        http.put(f"/appointments/{own.id}", headers=headers, json={"client_id": foreign_client.id}),
        http.post("/appointments", headers=headers, json={"service_id": foreign_service.id,
                                                           "start_datetime": start,
                                                           "client_id": own_client.id}),
        http.post("/appointments", headers=headers, json={"service_id": own_service.id,
                                                           "start_datetime": start,
                                                           "client_id": foreign_client.id}),
        http.get(f"/appointments/{2**63 + 5}", headers=headers),
    ]

    assert [c.status_code for c in calls] == [404] * len(calls)
    listed = http.get("/appointments", headers=headers).json
    assert [i["id"] for i in listed["items"]] == [own.id]
    assert uow.session.scalar(select(m.Appointment.notes).where(m.Appointment.id == foreign.id)) is None


def test_appointments_need_a_professional_token(http, service):
    assert http.get("/appointments").status_code == 401
    assert http.post("/appointments", json={}).status_code == 401


def test_bookings_created_counts_stored_appointments_only(run, professional, service, client):
    from shared import metrics

    before = metrics.bookings_created._value.get()
    _create(run, professional, service, client_id=client.id)
    with pytest.raises(Conflict):
        _create(run, professional, service, client_id=client.id)  # same time: refused, not counted

    assert metrics.bookings_created._value.get() == before + 1
