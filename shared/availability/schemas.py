"""What the availability endpoints accept and return: blocks, time off and slot queries."""

from __future__ import annotations

import datetime as dt

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from shared import fields as agenda_fields
from shared.fields import prose

MAX_SLOT_RANGE_DAYS = 62
REASON_LENGTH = 200
# Outside these years a datetime is a typo, and near the ends of Python's calendar it cannot even be
# converted to UTC; refusing it here keeps such input a 422.
EARLIEST_YEAR, LATEST_YEAR = 1970, 2199
MAX_ID = 2**63 - 1


def _check_year(value: dt.datetime | dt.date) -> None:
    try:
        year = value.astimezone(dt.UTC).year if isinstance(value, dt.datetime) else value.year
    except OverflowError:
        year = 0
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValidationError(f"Must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}.")


class Moment(agenda_fields.AwareDateTime):
    """A date (YYYY-MM-DD, the professional's local day) or an RFC 3339 datetime with an offset."""

    def _deserialize(self, value, attr, data, **kwargs) -> dt.date | dt.datetime:
        if isinstance(value, str) and len(value) == 10:
            return agenda_fields.Date()._deserialize(value, attr, data, **kwargs)
        return super()._deserialize(value, attr, data, **kwargs)


def _weekday(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=6), **kwargs)


class _BlockFields(Schema):
    kind_required = True  # a new block must say when it recurs; a change may leave that as it is

    weekday = _weekday(metadata={"description": "0 = Monday … 6 = Sunday, for a weekly block"})
    specific_date = agenda_fields.Date(allow_none=True, validate=_check_year)
    is_recurring = agenda_fields.JsonBoolean(metadata={
        "description": "true with weekday, false with specific_date; implied by whichever is given"})

    @validates_schema
    def _one_kind_and_ordered(self, data, **kwargs):
        problems: dict[str, list[str]] = {}
        given = [name for name in ("weekday", "specific_date") if data.get(name) is not None]
        if len(given) == 2 or (not given and self.kind_required):
            message = "Give exactly one of weekday (weekly) or specific_date (one day)."
            problems.update({"weekday": [message], "specific_date": [message]})
        elif given and data.get("is_recurring", given == ["weekday"]) != (given == ["weekday"]):
            problems["is_recurring"] = ["Must be true with weekday and false with specific_date."]
        start, end = data.get("start_time"), data.get("end_time")
        if start is not None and end is not None and start >= end:
            problems["end_time"] = ["Must be after start_time."]
        if problems:
            raise ValidationError(problems)


class BlockCreate(_BlockFields):
    start_time = agenda_fields.Time(required=True)
    end_time = agenda_fields.Time(required=True)


class BlockUpdate(_BlockFields):
    """Any subset of the block's fields; weekday makes it weekly, specific_date a one-off (is_recurring
    alone may only confirm what the block already is)."""

    kind_required = False
    start_time = agenda_fields.Time()
    end_time = agenda_fields.Time()

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not any(value is not None for value in data.values()):
            raise ValidationError("Give at least one field to change.", "_schema")

    @post_load
    def _drop_nulls(self, data, **kwargs):
        return {name: value for name, value in data.items() if value is not None}


class BlockRead(Schema):
    id = fields.Integer()
    is_recurring = fields.Boolean()
    weekday = fields.Integer(allow_none=True)
    specific_date = agenda_fields.Date(allow_none=True)
    start_time = agenda_fields.Time()
    end_time = agenda_fields.Time()
    created_at = agenda_fields.AwareDateTime()
    updated_at = agenda_fields.AwareDateTime()


class TimeOffCreate(Schema):
    start_datetime = agenda_fields.AwareDateTime(required=True, validate=_check_year)
    end_datetime = agenda_fields.AwareDateTime(required=True, validate=_check_year)
    reason = prose(REASON_LENGTH)

    @validates_schema
    def _ordered(self, data, **kwargs):
        start, end = data.get("start_datetime"), data.get("end_datetime")
        if start is not None and end is not None and start >= end:
            raise ValidationError("Must be after start_datetime.", "end_datetime")


class TimeOffRead(Schema):
    id = fields.Integer()
    start_datetime = agenda_fields.AwareDateTime()
    end_datetime = agenda_fields.AwareDateTime()
    reason = fields.String(allow_none=True)
    created_at = agenda_fields.AwareDateTime()
    updated_at = agenda_fields.AwareDateTime()


class TimeOffQuery(Schema):
    """Time off overlapping [from, to]; a date means the professional's whole local day."""

    from_ = Moment(data_key="from", validate=_check_year)
    to = Moment(validate=_check_year)


class SlotQuery(Schema):
    """Which service, and which local dates: `date`, or `from` and `to` (at most 62 days); `tz` to present."""

    service_id = agenda_fields.QueryInteger(required=True, validate=validate.Range(min=1, max=MAX_ID))
    date = agenda_fields.Date(validate=_check_year)
    from_ = agenda_fields.Date(data_key="from", validate=_check_year)
    to = agenda_fields.Date(validate=_check_year)
    tz = agenda_fields.IanaTimezone()

    @validates_schema
    def _dates(self, data, **kwargs):
        day, start, end = data.get("date"), data.get("from_"), data.get("to")
        if day is not None and (start is not None or end is not None):
            raise ValidationError("Give either date, or from and to, not both.", "date")
        if day is not None:
            return
        if start is None or end is None:
            message = "Give date, or both from and to."
            raise ValidationError({key: [message] for key, value in (("from", start), ("to", end))
                                   if value is None})
        if end < start:
            raise ValidationError("Must not be before from.", "to")
        if (end - start).days + 1 > MAX_SLOT_RANGE_DAYS:
            raise ValidationError(f"The range may span at most {MAX_SLOT_RANGE_DAYS} days.", "to")

    @post_load
    def _as_range(self, data, **kwargs):
        day = data.pop("date", None)
        start, end = data.pop("from_", day), data.pop("to", day)
        return {**data, "date_from": start, "date_to": end}


class SlotRead(Schema):
    start_datetime = agenda_fields.AwareDateTime(attribute="start")
    end_datetime = agenda_fields.AwareDateTime(attribute="end")


class SlotsRead(Schema):
    service_id = fields.Integer()
    timezone = fields.String()
    slots = fields.List(fields.Nested(SlotRead))


def dump_slots(result: dict) -> dict:
    """SlotsRead's output built directly: a month holds a hundred or more slots, and marshmallow's
    per-field machinery cost more than the slot engine; the datetimes are aware, so isoformat() is what
    AwareDateTime dumps (a test checks the two agree)."""
    return {"service_id": result["service_id"], "timezone": result["timezone"],
            "slots": [{"start_datetime": start.isoformat(), "end_datetime": end.isoformat()}
                      for start, end in result["slots"]]}
