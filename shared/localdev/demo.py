"""Demo data for `make run`: one professional who can log in, two services and a weekly schedule."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from argon2 import PasswordHasher
from sqlalchemy import func, select

from shared import models as m
from shared.db import UnitOfWork, unit_of_work

DEMO_EMAIL = "demo@agenda.example"
DEMO_PASSWORD = "demo-agenda-2027"
DEMO_SLUG = "demo-practice"
DEMO_TIMEZONE = "Europe/Madrid"
DEMO_ADDRESS = "Calle Mayor 1, 28013 Madrid"
DEMO_SERVICES = (("Initial consultation", 60, "60.00"), ("Follow-up session", 45, "45.00"))
# Monday (0) to Friday (4), mornings and afternoons, wall-clock time in DEMO_TIMEZONE.
DEMO_HOURS = (("09:00", "13:00"), ("15:00", "18:00"))


def load_demo(uow: UnitOfWork | None = None) -> dict[str, str]:
    """Create the demo professional unless it exists (committing); return how to log in as them."""
    if uow is None:
        with unit_of_work() as work:
            return load_demo(work)
    session = uow.session
    if session.scalar(select(m.User).where(m.User.email == DEMO_EMAIL)) is None:
        user = m.User(email=DEMO_EMAIL, name="Dra. Demo", role=m.UserRole.professional,
                      password_hash=PasswordHasher().hash(DEMO_PASSWORD), email_verified_at=func.now())
        session.add(user)
        session.flush()
        professional = m.Professional(user_id=user.id, business_name="Demo Practice", public_slug=DEMO_SLUG,
                                      timezone=DEMO_TIMEZONE, address=DEMO_ADDRESS)
        session.add(professional)
        session.flush()
        session.add(m.ProfessionalSettings(professional_id=professional.id))
        session.add_all(m.Service(professional_id=professional.id, name=name, duration_minutes=minutes,
                                  price=Decimal(price)) for name, minutes, price in DEMO_SERVICES)
        session.add_all(
            m.AvailabilityBlock(professional_id=professional.id, is_recurring=True, weekday=day,
                                start_time=dt.time.fromisoformat(start), end_time=dt.time.fromisoformat(end))
            for day in range(5) for start, end in DEMO_HOURS)
        uow.commit()
    return {"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "public_slug": DEMO_SLUG}


def main() -> None:
    demo = load_demo()
    print(f"Demo professional: {demo['email']} / {demo['password']} (public page: /professionals/"
          f"{demo['public_slug']}/public)", flush=True)


if __name__ == "__main__":
    main()
