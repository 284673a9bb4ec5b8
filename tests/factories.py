"""Builders for test data, written straight to the real database through the models."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from decimal import Decimal

from argon2 import PasswordHasher

from shared import models as m
from shared.accounts.tokens import issue_access_token

DEFAULT_PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


@functools.cache
def _hash(password: str) -> str:
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1).hash(password)


def make_user(session, *, email: str | None = None, name: str = "Test User", role: str = "professional",
              password: str = DEFAULT_PASSWORD, is_active: bool = True,
              email_verified: bool = True) -> m.User:
    n = next(_counter)
    user = m.User(email=email or f"user{n}@example.com", name=name, role=m.UserRole(role),
                  password_hash=_hash(password), is_active=is_active,
                  email_verified_at=dt.datetime.now(dt.UTC) if email_verified else None)
    session.add(user)
    session.flush()
    return user


def make_professional(session, *, email: str | None = None, business_name: str | None = None,
                      public_slug: str | None = None, timezone: str = "Europe/Madrid", is_active: bool = True,
                      password: str = DEFAULT_PASSWORD, email_verified: bool = True,
                      **settings) -> m.Professional:
    """A user with a professional profile and settings; keyword arguments override settings fields.

    Public bookings are confirmed at once unless require_email_confirmation=True is given: the holds have
    their own tests (tests/appointments/test_holds.py), the rest book as before."""
    settings.setdefault("require_email_confirmation", False)
    user = make_user(session, email=email, name="Dr. Test", password=password, is_active=is_active,
                     email_verified=email_verified)
    n = user.id
    professional = m.Professional(user_id=user.id, business_name=business_name or f"Practice {n}",
                                  public_slug=public_slug or f"practice-{n}", timezone=timezone,
                                  is_active=is_active)
    session.add(professional)
    session.flush()
    session.add(m.ProfessionalSettings(professional_id=professional.id, **settings))
    session.flush()
    session.refresh(professional)
    return professional


def make_admin(session, *, email: str | None = None, password: str = DEFAULT_PASSWORD) -> m.User:
    return make_user(session, email=email, name="Operator", role="admin", password=password)


def make_service(session, professional: m.Professional, *, name: str = "Session", duration_minutes: int = 60,
                 price: str = "50.00", is_active: bool = True) -> m.Service:
    service = m.Service(professional_id=professional.id, name=name, duration_minutes=duration_minutes,
                        price=Decimal(price), is_active=is_active)
    session.add(service)
    session.flush()
    return service


def make_client(session, professional: m.Professional, *, name: str = "Ana Client",
                email: str | None = None, phone: str | None = None) -> m.Client:
    client = m.Client(professional_id=professional.id, name=name,
                      email=email or f"client{next(_counter)}@example.com", phone=phone)
    session.add(client)
    session.flush()
    return client


def make_block(session, professional: m.Professional, *, weekday: int | None = None,
               specific_date: dt.date | None = None, start: str = "09:00", end: str = "13:00"):
    block = m.AvailabilityBlock(professional_id=professional.id, is_recurring=specific_date is None,
                                weekday=weekday, specific_date=specific_date,
                                start_time=dt.time.fromisoformat(start), end_time=dt.time.fromisoformat(end))
    session.add(block)
    session.flush()
    return block


def make_appointment(session, professional: m.Professional, *, service: m.Service, client: m.Client,
                     start: dt.datetime, status: str = "confirmed",
                     notes: str | None = None) -> m.Appointment:
    appointment = m.Appointment(professional_id=professional.id, service_id=service.id, client_id=client.id,
                                start_datetime=start,
                                end_datetime=start + dt.timedelta(minutes=service.duration_minutes),
                                status=m.AppointmentStatus(status), notes=notes)
    session.add(appointment)
    session.flush()
    return appointment


def bearer(user: m.User, professional_id: int | None = None) -> dict[str, str]:
    """Authorization header for a user, as the login endpoint would issue it."""
    token, _ = issue_access_token(user_id=user.id, role=user.role.value, professional_id=professional_id)
    return {"Authorization": f"Bearer {token}"}


def headers_for(professional: m.Professional) -> dict[str, str]:
    return bearer(professional.user, professional.id)
