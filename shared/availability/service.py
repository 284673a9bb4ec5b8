"""Availability rules: blocks and time off per professional, and the slots offered for a service."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Integer,
    SmallInteger,
    Time,
    and_,
    bindparam,
    cast,
    false,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import joinedload

from shared.accounts import slugs
from shared.availability import slot_engine
from shared.errors import Conflict, NotFound, ValidationFailed
from shared.fields import MAX_ID
from shared.models import (
    Appointment,
    AvailabilityBlock,
    CalendarBusyInterval,
    Professional,
    ProfessionalSettings,
    Service,
    TimeOff,
    User,
    takes_its_time,
)

# What a professional without a settings row gets: the column defaults of professional_settings.
DEFAULT_RULES = {"slot_interval_minutes": None, "buffer_minutes": 0, "minimum_notice_minutes": 120,
                 "booking_advance_days": 60}
# Extra margin around a range of local dates when loading busy time, wider than any UTC offset.
_MARGIN = dt.timedelta(days=1)
# Row kinds of the one availability query in offered_slots.
_BLOCK, _TIME_OFF, _BUSY, _IMPORTED = 0, 1, 2, 4
_EXTRA = 100  # the kind of a caller's first value riding along; the i-th is _EXTRA + i


# Availability blocks


def get_block(uow, *, professional_id: int, block_id: int) -> AvailabilityBlock:
    """One of the professional's availability blocks; NotFound for anyone else's."""
    block = None
    if block_id <= MAX_ID:
        block = uow.session.scalar(select(AvailabilityBlock).where(
            AvailabilityBlock.id == block_id, AvailabilityBlock.professional_id == professional_id))
    if block is None:
        raise NotFound("The availability block does not exist.")
    return block


def get_all_blocks(uow, *, professional_id: int, limit: int,
                   offset: int) -> tuple[list[AvailabilityBlock], int]:
    """A page of the professional's blocks: weekly ones by weekday and time, then one-off ones by date."""
    query = select(AvailabilityBlock).where(AvailabilityBlock.professional_id == professional_id)
    total = uow.session.scalar(select(func.count()).select_from(query.subquery()))
    order = (AvailabilityBlock.is_recurring.desc(), AvailabilityBlock.weekday,
             AvailabilityBlock.specific_date, AvailabilityBlock.start_time, AvailabilityBlock.id)
    return list(uow.session.scalars(query.order_by(*order).limit(limit).offset(offset))), total


def create_block(uow, *, professional_id: int, block_in: dict[str, Any]) -> AvailabilityBlock:
    """Add a weekly or one-off block; Conflict when it overlaps another block of the same day."""
    _lock_professional(uow.session, professional_id)
    block = AvailabilityBlock(professional_id=professional_id,
                              is_recurring=block_in.get("weekday") is not None,
                              weekday=block_in.get("weekday"),
                              specific_date=block_in.get("specific_date"),
                              start_time=block_in["start_time"], end_time=block_in["end_time"])
    _check_no_overlap(uow.session, block)
    uow.session.add(block)
    uow.session.flush()
    uow.session.refresh(block)
    uow.commit()
    return block


def update_block(uow, *, professional_id: int, block_id: int, block_in: dict[str, Any]) -> AvailabilityBlock:
    """Change a block (weekday makes it weekly, specific_date a one-off); same rules as creating one."""
    _lock_professional(uow.session, professional_id)
    block = get_block(uow, professional_id=professional_id, block_id=block_id)
    recurring = block_in.get("is_recurring", block.is_recurring)
    if recurring != block.is_recurring and not {"weekday", "specific_date"} & set(block_in):
        needed = "weekday" if recurring else "specific_date"
        raise ValidationFailed(errors={needed: [f"Give {needed} to make the block "
                                                f"{'weekly' if recurring else 'a one-off'}."]})
    if "weekday" in block_in:
        block.is_recurring, block.weekday, block.specific_date = True, block_in["weekday"], None
    if "specific_date" in block_in:
        block.is_recurring, block.weekday, block.specific_date = False, None, block_in["specific_date"]
    block.start_time = block_in.get("start_time", block.start_time)
    block.end_time = block_in.get("end_time", block.end_time)
    if block.start_time >= block.end_time:
        raise ValidationFailed(errors={"end_time": ["Must be after start_time."]})
    with uow.session.no_autoflush:
        _check_no_overlap(uow.session, block)
    uow.session.flush()
    uow.session.refresh(block)
    uow.commit()
    return block


def delete_block(uow, *, professional_id: int, block_id: int) -> None:
    """Remove a block; slots already booked inside it are not affected."""
    block = get_block(uow, professional_id=professional_id, block_id=block_id)
    uow.session.delete(block)
    uow.commit()


def _lock_professional(session, professional_id: int) -> None:
    # Block writes of one professional take turns, so two overlapping blocks cannot both pass the check.
    session.execute(select(Professional.id).where(Professional.id == professional_id).with_for_update())


def _check_no_overlap(session, block: AvailabilityBlock) -> None:
    if block.is_recurring:
        same_day = and_(AvailabilityBlock.is_recurring.is_(True),
                        AvailabilityBlock.weekday == block.weekday)
    else:
        same_day = and_(AvailabilityBlock.is_recurring.is_(False),
                        AvailabilityBlock.specific_date == block.specific_date)
    query = select(AvailabilityBlock).where(
        AvailabilityBlock.professional_id == block.professional_id, same_day,
        AvailabilityBlock.start_time < block.end_time, AvailabilityBlock.end_time > block.start_time,
    )
    if block.id is not None:
        query = query.where(AvailabilityBlock.id != block.id)
    clash = session.scalar(query.order_by(AvailabilityBlock.start_time).limit(1))
    if clash is not None:
        span = f"{clash.start_time:%H:%M}–{clash.end_time:%H:%M}"
        raise Conflict(f"The block overlaps another block of the same day ({span}).",
                       conflicting_block_id=clash.id)


# Time off


def get_time_off(uow, *, professional_id: int, time_off_id: int) -> TimeOff:
    """One of the professional's periods of time off; NotFound for anyone else's."""
    time_off = None
    if time_off_id <= MAX_ID:
        time_off = uow.session.scalar(select(TimeOff).where(TimeOff.id == time_off_id,
                                                            TimeOff.professional_id == professional_id))
    if time_off is None:
        raise NotFound("The time off does not exist.")
    return time_off


def get_all_time_off(uow, *, professional_id: int, limit: int, offset: int,
                     from_: dt.date | dt.datetime | None = None,
                     to: dt.date | dt.datetime | None = None) -> tuple[list[TimeOff], int]:
    """A page of the professional's time off overlapping [from, to], by start; dates are local whole days."""
    query = select(TimeOff).where(TimeOff.professional_id == professional_id)
    if from_ is not None or to is not None:
        zone = _zone_of(uow.session, professional_id)
        if from_ is not None:
            query = query.where(TimeOff.end_datetime > _instant(from_, zone))
        if to is not None:
            end = _instant(to + dt.timedelta(days=1), zone) if type(to) is dt.date else to
            query = query.where(TimeOff.start_datetime < end)
    total = uow.session.scalar(select(func.count()).select_from(query.subquery()))
    query = query.order_by(TimeOff.start_datetime, TimeOff.id).limit(limit).offset(offset)
    return list(uow.session.scalars(query)), total


def create_time_off(uow, *, professional_id: int, time_off_in: dict[str, Any]) -> TimeOff:
    """Add a period when the professional takes no bookings (existing appointments stay as they are)."""
    time_off = TimeOff(professional_id=professional_id, **time_off_in)
    uow.session.add(time_off)
    uow.session.flush()
    uow.session.refresh(time_off)
    uow.commit()
    return time_off


def delete_time_off(uow, *, professional_id: int, time_off_id: int) -> None:
    """Remove a period of time off."""
    uow.session.delete(get_time_off(uow, professional_id=professional_id, time_off_id=time_off_id))
    uow.commit()


def _zone_of(session, professional_id: int) -> ZoneInfo:
    return ZoneInfo(session.scalar(select(Professional.timezone).where(Professional.id == professional_id)))


def _instant(moment: dt.date | dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A datetime as is; a date as the first instant of that local day in `zone`."""
    if isinstance(moment, dt.datetime):
        return moment
    return _local_midnight(moment, zone)


def _local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    # A midnight inside a DST gap (a few zones) reads with the earlier offset: the instant the gap starts
    # when it starts at midnight, as it does in those zones.
    return dt.datetime.combine(day, dt.time(0), zone)


# Slots


_TS = DateTime(timezone=True)


def offered_slots(session, *, professional: Professional, service: Service, date_from: dt.date,
                  date_to: dt.date, now: dt.datetime | None = None,
                  ignore_appointment_id: int | None = None,
                  rules: ProfessionalSettings | None = None) -> list[slot_engine.Slot]:
    """The (start, end) slots offered for `service` on the professional's local dates date_from..date_to.

    Two round trips whatever the range: the booking rules (skipped when the caller passes `rules`, the
    professional's settings row it loaded in this same transaction), then one UNION ALL statement for
    blocks, time off, busy appointments and busy time imported from the professional's calendars; then
    the slot engine. An inactive professional or service offers nothing. `ignore_appointment_id` leaves
    that appointment's own time free (rescheduling it).
    """
    return _offered(session, professional=professional, service=service, date_from=date_from,
                    date_to=date_to, now=now, ignore_appointment_id=ignore_appointment_id, rules=rules)[0]


def _offered(session, *, professional: Professional, service: Service, date_from: dt.date, date_to: dt.date,
             now: dt.datetime | None, ignore_appointment_id: int | None, rules,
             extra: tuple[tuple[Any, ...], dict[str, Any]] | None = None
             ) -> tuple[list[slot_engine.Slot], list[int] | None]:
    """offered_slots(), and the values of `extra` (integer expressions and their bound parameters) read in
    the same statement."""
    if service.professional_id != professional.id:
        raise ValueError("the service belongs to another professional")
    if not (professional.is_active and service.is_active) or date_to < date_from:
        return [], (list(session.execute(select(*extra[0]), extra[1]).one()) if extra is not None else None)
    zone = ZoneInfo(professional.timezone)
    rules_ = _rules(session, professional.id) if rules is None else _rules_of(rules)
    buffer = dt.timedelta(minutes=rules_["buffer_minutes"])
    window_start = _local_midnight(date_from, zone) - _MARGIN
    window_end = _local_midnight(date_to + dt.timedelta(days=1), zone) + _MARGIN

    now = now or dt.datetime.now(dt.UTC)
    params = {"professional_id": professional.id, "date_from": date_from, "date_to": date_to,
              "window_start": window_start, "window_end": window_end, "busy_start": window_start - buffer,
              "busy_end": window_end + buffer, "busy_now": now}
    if ignore_appointment_id is not None:
        params["ignore_id"] = ignore_appointment_id
    statement = _availability_statement(ignore_appointment_id is not None, extra[0] if extra else ())
    rows = session.execute(statement, {**params, **(extra[1] if extra else {})}).all()
    extra_values = None
    if extra is not None:
        by_kind = {r.kind: r.n for r in rows if r.kind >= _EXTRA}
        extra_values = [by_kind[_EXTRA + i] for i in range(len(extra[0]))]

    slots = slot_engine.compute_slots(
        timezone=professional.timezone, date_from=date_from, date_to=date_to,
        weekly_blocks=[slot_engine.WeeklyBlock(r.weekday, r.start_time, r.end_time)
                       for r in rows if r.kind == _BLOCK and r.is_recurring],
        dated_blocks=[slot_engine.DatedBlock(r.specific_date, r.start_time, r.end_time)
                      for r in rows if r.kind == _BLOCK and not r.is_recurring],
        appointments=[slot_engine.Interval(r.start_datetime, r.end_datetime)
                      for r in rows if r.kind == _BUSY],
        time_off=[slot_engine.Interval(r.start_datetime, r.end_datetime)
                  for r in rows if r.kind == _TIME_OFF],
        imported_busy=[slot_engine.Interval(r.start_datetime, r.end_datetime)
                       for r in rows if r.kind == _IMPORTED],
        buffer_minutes=rules_["buffer_minutes"], duration_minutes=service.duration_minutes,
        interval_minutes=rules_["slot_interval_minutes"], now=now,
        minimum_notice_minutes=rules_["minimum_notice_minutes"],
        booking_advance_days=rules_["booking_advance_days"],
    )
    return slots, extra_values


@functools.cache
def _availability_statement(ignore_appointment: bool, extra: tuple = ()):
    """Blocks, time off, busy appointments and imported busy time in one statement (a round trip costs
    more than these small reads): rows are told apart by `kind` and padded with typed NULLs to one
    shape. Built once per variant with bound parameters, and kept: building and cache-keying it on every
    request cost about as much Python time as the slot engine. `extra` (integer expressions, themselves
    built once) adds a row of its own kind for each, carrying a value the caller wants in the same round
    trip.
    """
    blocks = (
        select(literal(_BLOCK).label("kind"), AvailabilityBlock.is_recurring, AvailabilityBlock.weekday,
               AvailabilityBlock.specific_date, AvailabilityBlock.start_time, AvailabilityBlock.end_time,
               cast(null(), _TS).label("start_datetime"), cast(null(), _TS).label("end_datetime"),
               cast(null(), Integer).label("n"))
        .where(AvailabilityBlock.professional_id == bindparam("professional_id"),
               or_(AvailabilityBlock.is_recurring.is_(True),
                   AvailabilityBlock.specific_date.between(bindparam("date_from"), bindparam("date_to"))))
    )
    padding = (cast(null(), Boolean), cast(null(), SmallInteger), cast(null(), Date), cast(null(), Time),
               cast(null(), Time))
    time_off = (
        select(literal(_TIME_OFF), *padding, TimeOff.start_datetime, TimeOff.end_datetime,
               cast(null(), Integer))
        .where(TimeOff.professional_id == bindparam("professional_id"),
               TimeOff.start_datetime < bindparam("window_end"),
               TimeOff.end_datetime > bindparam("window_start"))
    )
    busy = (
        select(literal(_BUSY), *padding, Appointment.start_datetime, Appointment.end_datetime,
               cast(null(), Integer))
        .where(Appointment.professional_id == bindparam("professional_id"),
               takes_its_time(bindparam("busy_now")),
               Appointment.start_datetime < bindparam("busy_end"),
               Appointment.end_datetime > bindparam("busy_start"))
    )
    if ignore_appointment:
        busy = busy.where(Appointment.id != bindparam("ignore_id"))
    # Busy time read from the professional's own calendars (shared.calendars keeps it current).
    imported = (
        select(literal(_IMPORTED), *padding, CalendarBusyInterval.start_datetime,
               CalendarBusyInterval.end_datetime, cast(null(), Integer))
        .where(CalendarBusyInterval.professional_id == bindparam("professional_id"),
               CalendarBusyInterval.start_datetime < bindparam("window_end"),
               CalendarBusyInterval.end_datetime > bindparam("window_start"))
    )
    parts = [blocks, time_off, busy, imported]
    parts += [select(literal(_EXTRA + i), *padding, cast(null(), _TS), cast(null(), _TS), value)
              for i, value in enumerate(extra)]
    return union_all(*parts)


def is_offered(session, *, professional: Professional, service: Service, start: dt.datetime,
               now: dt.datetime | None = None, ignore_appointment_id: int | None = None,
               rules: ProfessionalSettings | None = None) -> bool:
    """Whether `start` (aware) is exactly the start of a slot offered now for the service.

    `rules`: the professional's settings row when the caller already loaded it in this transaction.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be an aware datetime")
    day = start.astimezone(ZoneInfo(professional.timezone)).date()
    slots = offered_slots(session, professional=professional, service=service, date_from=day, date_to=day,
                          now=now, ignore_appointment_id=ignore_appointment_id, rules=rules)
    return any(slot.start == start for slot in slots)


def is_offered_and_count(session, *, professional: Professional, service: Service, start: dt.datetime,
                         counts: tuple[tuple[Any, ...], dict[str, Any]], now: dt.datetime | None = None,
                         rules: ProfessionalSettings | None = None) -> tuple[bool, list[int]]:
    """is_offered(), and the values of `counts` (integer expressions built once, and their bound
    parameters), read in the same statement: round trips less for a caller that needs them (public
    booking: its cap, and whether an expired hold is in the way)."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be an aware datetime")
    day = start.astimezone(ZoneInfo(professional.timezone)).date()
    slots, counted = _offered(session, professional=professional, service=service, date_from=day, date_to=day,
                              now=now, ignore_appointment_id=None, rules=rules, extra=counts)
    return any(slot.start == start for slot in slots), counted


def get_slots(uow, *, professional_id: int, service_id: int, date_from: dt.date, date_to: dt.date,
              tz: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Slots of one of the professional's active services, presented in `tz` (default: their own zone)."""
    professional, service = _professional_and_service(
        uow.session, Professional.id == professional_id, service_id)
    if professional is None:
        raise NotFound("The professional does not exist.")
    return _present(uow.session, professional, service, date_from, date_to, tz, now)


def get_public_slots(uow, *, slug: str, service_id: int, date_from: dt.date, date_to: dt.date,
                     tz: str | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Slots anyone may see for an active professional's active service, found by the public slug."""
    professional, service = _professional_and_service(
        uow.session, slugs.public_page(slug), service_id)
    if professional is None:
        raise NotFound("The professional does not exist.")
    return _present(uow.session, professional, service, date_from, date_to, tz, now)


def _professional_and_service(session, which, service_id: int) -> tuple[Professional | None, Service]:
    """The professional (with settings) and their active service in one round trip.

    (None, _) when no professional matches; NotFound when the professional has no such active service.
    """
    row = session.execute(
        select(Professional, Service).options(joinedload(Professional.settings))
        .join(User, User.id == Professional.user_id)
        .outerjoin(Service, and_((Service.id == service_id) if service_id <= MAX_ID else false(),
                                 Service.professional_id == Professional.id, Service.is_active.is_(True)))
        .where(which)
    ).first()
    if row is None:
        return None, None
    professional, service = row
    if service is None:
        raise NotFound("The service does not exist or is not offered.")
    return professional, service


def _present(session, professional, service, date_from, date_to, tz, now) -> dict[str, Any]:
    timezone = tz or professional.timezone
    slots = offered_slots(session, professional=professional, service=service, date_from=date_from,
                          date_to=date_to, now=now, rules=_settings_or_defaults(professional))
    return {"service_id": service.id, "timezone": timezone, "slots": slot_engine.present(slots, timezone)}


def _settings_or_defaults(professional: Professional):
    # The settings row loaded with the professional; a professional without one gets the defaults.
    return professional.settings if professional.settings is not None else _DEFAULTS


class _Defaults:
    """Stands in for a missing settings row: the column defaults, as DEFAULT_RULES lists them."""

    def __init__(self, rules: dict[str, Any]):
        self.__dict__.update(rules)


_DEFAULTS = _Defaults(DEFAULT_RULES)


def _rules_of(settings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in DEFAULT_RULES}


def _rules(session, professional_id: int) -> dict[str, Any]:
    row = session.execute(
        select(ProfessionalSettings.slot_interval_minutes, ProfessionalSettings.buffer_minutes,
               ProfessionalSettings.minimum_notice_minutes, ProfessionalSettings.booking_advance_days)
        .where(ProfessionalSettings.professional_id == professional_id)
    ).mappings().one_or_none()
    return dict(row) if row is not None else dict(DEFAULT_RULES)
