"""Case 9 (in process): a professional books a 52-week series: every occurrence checked in one statement,
52 appointment rows with their links and audit rows, one e-mail, one commit."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from zoneinfo import ZoneInfo

from tests.benchmarks.report import REPORTED, Report
from tests.benchmarks.stats import median, ms

REPEATS = 5
WEEKS = 52


def series_booking(report: Report) -> None:
    """Book REPEATS series of WEEKS weekly appointments (each at its own hour, so none clashes), timed
    around the command and its commit."""
    from shared import models as m
    from shared.appointments.actors import Actor
    from shared.appointments.series import book_series
    from shared.db import unit_of_work
    from tests.factories import make_client, make_professional, make_service

    with unit_of_work() as uow:
        professional = make_professional(uow.session, email=f"series-{uuid.uuid4().hex[:8]}@example.com")
        service = make_service(uow.session, professional, duration_minutes=50)
        client = make_client(uow.session, professional, email="weekly@example.com")
        uow.commit()
        ids = (professional.id, professional.user_id, service.id, client.id)
    professional_id, user_id, service_id, client_id = ids
    actor = Actor.professional(professional_id, user_id)
    today = dt.date.today() + dt.timedelta(days=7)
    times, booked = [], 0
    for repeat in range(REPEATS):
        start = dt.datetime.combine(today, dt.time(8 + repeat), ZoneInfo("Europe/Madrid"))
        started = time.perf_counter()
        with unit_of_work() as uow:
            view = book_series(uow, actor, {"service_id": service_id, "start_datetime": start,
                                            "client_id": client_id,
                                            "recurrence": {"every_weeks": 1, "count": WEEKS}})
        times.append(time.perf_counter() - started)
        booked = len(view.appointments)
    with unit_of_work() as uow:
        emails = uow.session.query(m.Notification).filter_by(professional_id=professional_id).count()
    report.add("9", f"Weekly series: `book_series` of {WEEKS} weekly appointments (all checked in one "
               f"statement, each row with its link and audit row, one e-mail), median of {REPEATS}",
               f"{ms(median(times))} for {booked} appointments ({ms(median(times) / max(booked, 1))} each; "
               f"{emails} e-mails for {REPEATS} series)", "—", REPORTED)
