"""Profile and settings services: the logged-in account, its public page and its booking settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from shared.accounts import slugs
from shared.accounts.common import NO_ORIGIN, Origin, record, violated_constraint
from shared.errors import Conflict, NotFound
from shared.models import DefaultAppointmentStatus, Professional, ProfessionalSettings, Service, User

SLUG_TAKEN = "This public slug is already taken."
USER_FIELDS = ("name",)


def get_me(uow, *, user_id: int) -> dict[str, Any]:
    """The user and (for a professional) the profile."""
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return {"user": user, "professional": user.professional}


def _apply(target: Any, field: str, value: Any, changed: list[str]) -> None:
    if getattr(target, field) != value:
        setattr(target, field, value)
        changed.append(field)


def update_profile(uow, *, user_id: int, profile_in: dict[str, Any], origin: Origin = NO_ORIGIN) -> dict:
    """Change any of name, business_name, public_slug (409 if taken), timezone, phone, bio, address."""
    session = uow.session
    me = get_me(uow, user_id=user_id)
    user, professional = me["user"], me["professional"]
    if professional is None:
        raise NotFound("This account has no professional profile.")
    changed: list[str] = []
    for field, value in profile_in.items():
        _apply(user if field in USER_FIELDS else professional, field, value, changed)
    if not changed:
        return me
    try:
        session.flush()
    except IntegrityError as error:
        # Someone else's slug, current or former, stays theirs; one's own former slug may be taken back.
        if violated_constraint(error) in slugs.TAKEN_CONSTRAINTS:
            raise Conflict(SLUG_TAKEN, errors={"public_slug": [SLUG_TAKEN]}) from None
        raise
    record(session, "profile.updated", origin, actor_user_id=user.id, professional_id=professional.id,
           entity_type="professional", entity_id=professional.id, metadata={"fields": sorted(changed)})
    session.flush()
    session.refresh(user)
    session.refresh(professional)
    uow.commit()
    return me


def get_settings(uow, *, professional_id: int) -> ProfessionalSettings:
    """The professional's booking settings."""
    settings = uow.session.scalar(
        select(ProfessionalSettings).where(ProfessionalSettings.professional_id == professional_id))
    if settings is None:
        raise NotFound("No settings for this professional.")
    return settings


def update_settings(uow, *, professional_id: int, settings_in: dict[str, Any],
                    actor_user_id: int | None = None, origin: Origin = NO_ORIGIN) -> ProfessionalSettings:
    """Merge the given fields into the settings (fields left out keep their value)."""
    session = uow.session
    settings = get_settings(uow, professional_id=professional_id)
    changed: list[str] = []
    for field, value in settings_in.items():
        if field == "default_appointment_status":
            value = DefaultAppointmentStatus(value)
        _apply(settings, field, value, changed)
    if changed:
        record(session, "settings.updated", origin, actor_user_id=actor_user_id,
               professional_id=professional_id, entity_type="professional_settings",
               entity_id=settings.id, metadata={"fields": sorted(changed)})
        session.flush()
        session.refresh(settings)
        uow.commit()
    return settings


def public_profile(uow, *, slug: str) -> dict[str, Any]:
    """What anyone may see of an active professional: public fields and active services; `settings` is
    for the booking page (language, horizon, policy) and is not part of the API's answer."""
    session = uow.session
    row = session.execute(
        select(Professional, User.name).join(User, User.id == Professional.user_id)
        .options(joinedload(Professional.settings))
        .where(slugs.public_page(slug))
    ).one_or_none()
    if row is None:
        raise NotFound("No professional has this public link.")
    professional, name = row
    services = session.scalars(
        select(Service).where(Service.professional_id == professional.id, Service.is_active)
        .order_by(Service.name, Service.id)
    ).all()
    return {"name": name, "business_name": professional.business_name,
            "public_slug": professional.public_slug, "timezone": professional.timezone,
            "bio": professional.bio, "address": professional.address, "services": services,
            "settings": professional.settings}
