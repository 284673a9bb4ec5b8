"""The client's manage page for an appointment of a weekly series: where the professional allows it, it
cancels this and the following sessions too (the API's command, scope "following"), refused inside the
policy window like a single cancellation; otherwise only the single cancellation is offered."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update

from shared import models as m
from tests.pages.conftest import outbox
from tests.pages.flows import series

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')
SERIES_BUTTON = {"en": "Cancel this and the 2 following sessions",
                 "es": "Cancelar esta y las 2 siguientes sesiones"}


def _html(response) -> str:
    assert response.mimetype == "text/html", response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def _cancel_following(gateway, token: str, page: str):
    """Send the page's form for cancelling this and the following sessions."""
    return gateway.post(f"/manage/{token}/cancel",
                        data={"csrf_token": CSRF.search(page).group(1), "lang": "en", "scope": "following"})


def _statuses(session) -> list[str]:
    session.expire_all()
    query = select(m.Appointment.status).order_by(m.Appointment.start_datetime)
    return [status.value for status in session.scalars(query)]


def test_the_client_cancels_this_and_the_following_sessions(gateway, practice, uow, session):
    professional, services = practice
    tokens = series(uow, professional, services[0], allow=True)

    spanish = _html(gateway.get(f"/manage/{tokens[1]}?lang=es"))
    assert SERIES_BUTTON["es"] in spanish and "Cancelar esta cita" in spanish
    # The button counts what it cancels: one session follows the third, none the last (only the single
    # cancellation is offered there).
    third = _html(gateway.get(f"/manage/{tokens[2]}?lang=es"))
    assert "Cancelar esta y la siguiente sesión" in third
    last = _html(gateway.get(f"/manage/{tokens[3]}?lang=en"))
    assert "Cancel this and the" not in last and "Cancel the appointment" in last
    page = _html(gateway.get(f"/manage/{tokens[1]}?lang=en"))
    assert SERIES_BUTTON["en"] in page and "Cancel this appointment" in page

    forged = gateway.post(f"/manage/{tokens[1]}/cancel", data={"csrf_token": "0" * 64, "scope": "following"})
    assert forged.status_code == 403 and _statuses(session) == ["confirmed"] * 4
    response = _cancel_following(gateway, tokens[1], page)
    assert response.status_code == 303 and response.headers["Location"].endswith("done=series_cancelled")
    assert _statuses(session) == ["confirmed"] + ["cancelled_by_client"] * 3
    done = _html(gateway.get(response.headers["Location"]))
    assert "This appointment and the following sessions of the series have been cancelled." in done
    # One e-mail for the batch to each side, naming the scope and the cancelled sessions.
    [to_client] = outbox(session, "cancellation_confirmation")
    [to_professional] = outbox(session, "cancelled_by_client")
    assert to_client.payload["scope"] == to_professional.payload["scope"] == "following"
    assert len(to_client.payload["appointment_ids"]) == 3


def test_without_the_setting_only_the_single_cancellation_is_offered(gateway, practice, uow, session):
    professional, services = practice
    tokens = series(uow, professional, services[0], allow=False)

    page = _html(gateway.get(f"/manage/{tokens[0]}?lang=en"))
    assert "Cancel this and the" not in page and "Cancel the appointment" in page
    # A forged series cancellation is refused with the reason; nothing changes.
    response = _cancel_following(gateway, tokens[0], page)
    assert response.status_code == 409
    assert "Consulta Lucía takes cancellations of one appointment at a time here" in _html(response)
    assert _statuses(session) == ["confirmed"] * 4
    # The single cancellation still works.
    single = gateway.post(f"/manage/{tokens[0]}/cancel",
                          data={"csrf_token": CSRF.search(page).group(1), "lang": "en"})
    assert single.status_code == 303 and single.headers["Location"].endswith("done=cancelled")
    assert _statuses(session) == ["cancelled_by_client"] + ["confirmed"] * 3


def test_inside_the_policy_window_the_series_cancellation_is_refused_with_the_reason(gateway, practice, uow,
                                                                                       session):
    professional, services = practice
    tokens = series(uow, professional, services[0], allow=True)
    page = _html(gateway.get(f"/manage/{tokens[0]}?lang=en"))
    assert "Cancel this and the 3 following sessions" in page
    # Time passes: the first session is now two hours away, inside the 24-hour window.
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    first = session.scalar(select(m.Appointment.id).order_by(m.Appointment.start_datetime).limit(1))
    uow.session.execute(update(m.Appointment).where(m.Appointment.id == first)
                        .values(start_datetime=soon, end_datetime=soon + dt.timedelta(hours=1)))
    uow.commit()
    refreshed = _html(gateway.get(f"/manage/{tokens[0]}?lang=en"))
    assert "Cancel this and the" not in refreshed
    assert "can no longer be cancelled or changed online" in refreshed

    # A page left open from before still has the button: the command refuses, with the reason.
    response = _cancel_following(gateway, tokens[0], page)
    assert response.status_code == 409
    assert "Changes are possible up to 24 hours before the start" in _html(response)
    assert _statuses(session) == ["confirmed"] * 4
