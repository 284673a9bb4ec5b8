"""What the appointment endpoints accept and return, named by direction (Create / Update / Query / Read)."""

from __future__ import annotations

import datetime as dt

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared import fields as agenda_fields
from shared.appointments.recurrence import MAX_COUNT, MAX_EVERY_WEEKS, MIN_COUNT, MIN_EVERY_WEEKS
from shared.fields import EARLIEST_YEAR, LATEST_YEAR, MAX_ID, PeriodQuery, QueryInteger, Text, prose
from shared.models import AppointmentStatus, DefaultAppointmentStatus, RequestStatus

NAME_LENGTH = 200
PHONE_LENGTH = 40
NOTES_LENGTH = 10000
PUBLIC_COMMENT_LENGTH = 2000
REASON_LENGTH = 1000
SCOPE_THIS, SCOPE_FOLLOWING, SCOPE_ALL = "this", "following", "all"
SCOPES = (SCOPE_THIS, SCOPE_FOLLOWING, SCOPE_ALL)


class BookingDateTime(agenda_fields.AwareDateTime):
    """The start of an appointment: RFC 3339 with an offset, on a whole minute."""

    default_error_messages = {
        "whole_minute": "Give the time on a whole minute (no seconds).",
        "out_of_range": f"Give a date between {EARLIEST_YEAR} and {LATEST_YEAR}.",
    }

    def _deserialize(self, value, attr, data, **kwargs) -> dt.datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.second or moment.microsecond:
            raise self.make_error("whole_minute")
        if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            raise self.make_error("out_of_range")
        return moment


def _id(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def _name(**kwargs) -> Text:
    return Text(validate=validate.Length(min=1, max=NAME_LENGTH), **kwargs)


def _phone() -> Text:
    return Text(blank_as_none=True, allow_none=True, validate=validate.Length(max=PHONE_LENGTH))


def _statuses(enum) -> fields.List:
    return fields.List(fields.String(validate=validate.OneOf([s.value for s in enum])))


# Professional side


class ClientInline(Schema):
    """A client given by name and email: found by email among the professional's clients, else created."""

    name = _name(required=True)
    email = agenda_fields.Email(required=True)
    phone = _phone()


class RecurrenceCreate(Schema):
    """A weekly series: every 1-4 weeks at the first start's local time, `count` times (2-52) or `until` a
    local date (inclusive; at most 52 appointments)."""

    every_weeks = fields.Integer(strict=True, required=True,
                                 validate=validate.Range(min=MIN_EVERY_WEEKS, max=MAX_EVERY_WEEKS))
    count = fields.Integer(strict=True, validate=validate.Range(min=MIN_COUNT, max=MAX_COUNT))
    until = fields.Date()

    @validates_schema
    def _count_or_until(self, data, **kwargs):
        if ("count" in data) == ("until" in data):
            raise ValidationError("Give either count or until.", "count")


class AppointmentCreate(Schema):
    service_id = _id(required=True)
    start_datetime = BookingDateTime(required=True)
    client_id = _id()
    client = fields.Nested(ClientInline)
    notes = prose(NOTES_LENGTH)
    status = fields.String(validate=validate.OneOf([s.value for s in DefaultAppointmentStatus]))
    recurrence = fields.Nested(RecurrenceCreate, metadata={
        "description": "Book a weekly series from start_datetime on (answered with the series)."})
    skip_conflicts = fields.Boolean(metadata={
        "description": "With recurrence: book the free times and list the taken ones as `skipped`, "
                       "instead of refusing the whole series."})

    @validates_schema
    def _one_client(self, data, **kwargs):
        if ("client_id" in data) == ("client" in data):
            raise ValidationError("Give either client_id or client {name, email, phone}.", "client_id")
        if "skip_conflicts" in data and "recurrence" not in data:
            raise ValidationError("skip_conflicts goes with recurrence.", "skip_conflicts")


class ScopeQuery(Schema):
    """Which appointments of a series a change or a cancellation reaches: this one (the default), this and
    the following ones, or all of them (past and completed ones are never changed)."""

    scope = fields.String(load_default=SCOPE_THIS, validate=validate.OneOf(SCOPES))


# A hold becomes active through the client's confirmation and expired through the sweep, never by hand.
SETTABLE_STATUSES = [s.value for s in AppointmentStatus
                     if s not in (AppointmentStatus.held, AppointmentStatus.expired)]


class AppointmentUpdate(Schema):
    """Any of: a new start (reschedule), notes, another client, a status change (with a reason to cancel)."""

    start_datetime = BookingDateTime()
    notes = prose(NOTES_LENGTH)
    client_id = _id()
    status = fields.String(validate=validate.OneOf(SETTABLE_STATUSES))
    reason = prose(REASON_LENGTH)

    @validates_schema
    def _something(self, data, **kwargs):
        if not data:
            raise ValidationError("Give at least one field to change.", "_schema")
        if data.get("reason") and data.get("status") != AppointmentStatus.cancelled_by_professional:
            raise ValidationError("A reason goes with status cancelled_by_professional.", "reason")


class AppointmentCancel(Schema):
    """The optional body of DELETE /appointments/<id>: a reason the client is told."""

    reason = prose(REASON_LENGTH)


class AppointmentQuery(PeriodQuery):
    """Filters of the appointment list: the period [from, to) (a date `to` includes that day)."""

    status = _statuses(AppointmentStatus)
    client_id = QueryInteger(validate=validate.Range(min=1, max=MAX_ID))
    service_id = QueryInteger(validate=validate.Range(min=1, max=MAX_ID))


class ClientSummary(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    phone = fields.String(allow_none=True)


class ServiceSummary(Schema):
    id = fields.Integer()
    name = fields.String()
    duration_minutes = fields.Integer()


class AppointmentRead(Schema):
    """An appointment as the professional sees it; every datetime in the professional's timezone."""

    id = fields.Integer()
    service_id = fields.Integer()
    client_id = fields.Integer()
    client = fields.Nested(ClientSummary)
    service = fields.Nested(ServiceSummary)
    start_datetime = agenda_fields.AwareDateTime()
    end_datetime = agenda_fields.AwareDateTime()
    timezone = fields.String()
    status = fields.String()
    notes = fields.String(allow_none=True, metadata={
        "description": "The professional's private notes (encrypted at rest, never e-mailed)."})
    client_comment = fields.String(allow_none=True, metadata={
        "description": "What the client wrote when booking (the public booking's `comment`)."})
    created_from_public_link = fields.Boolean()
    cancelled_at = agenda_fields.AwareDateTime(allow_none=True)
    hold_expires_at = agenda_fields.AwareDateTime(allow_none=True, metadata={
        "description": "A held booking (status held): until when it waits for the client's email "
                       "confirmation."})
    created_at = agenda_fields.AwareDateTime()
    updated_at = agenda_fields.AwareDateTime()
    series_id = fields.Integer(allow_none=True, metadata={
        "description": "The weekly series this appointment belongs to (null for a single appointment)."})


class AppointmentSeriesRead(Schema):
    """A weekly series: its pattern, its appointments and the starts it skipped."""

    id = fields.Integer()
    service_id = fields.Integer()
    client_id = fields.Integer(allow_none=True)
    every_weeks = fields.Integer()
    count = fields.Integer(allow_none=True)
    until = fields.Date(allow_none=True)
    timezone = fields.String()
    start_datetime = agenda_fields.AwareDateTime(metadata={"description": "The first start of the pattern."})
    appointments = fields.List(fields.Nested(AppointmentRead))
    skipped = fields.List(agenda_fields.AwareDateTime(), metadata={
        "description": "Starts of the pattern with no appointment (taken when the series was booked)."})
    created_at = agenda_fields.AwareDateTime()
    updated_at = agenda_fields.AwareDateTime()


class AppointmentRequestQuery(Schema):
    status = _statuses(RequestStatus)


class RequestReject(Schema):
    reason = prose(REASON_LENGTH)


class AppointmentRequestRead(Schema):
    """A client's request for a time, waiting for (or decided by) the professional."""

    id = fields.Integer()
    service_id = fields.Integer()
    service = fields.Nested(ServiceSummary)
    requested_datetime = agenda_fields.AwareDateTime()
    end_datetime = agenda_fields.AwareDateTime()
    timezone = fields.String()
    client_name = fields.String()
    client_email = fields.String()
    client_phone = fields.String(allow_none=True)
    client_comment = fields.String(allow_none=True)
    status = fields.String()
    appointment_id = fields.Integer(allow_none=True)
    decided_at = agenda_fields.AwareDateTime(allow_none=True)
    created_at = agenda_fields.AwareDateTime()
    updated_at = agenda_fields.AwareDateTime()


# Public side


class PublicBookingCreate(Schema):
    service_id = _id(required=True)
    start_datetime = BookingDateTime(required=True)
    name = _name(required=True)
    email = agenda_fields.Email(required=True)
    phone = _phone()
    # Stored as the appointment's (or request's) client_comment; the professional's notes stay theirs.
    comment = prose(PUBLIC_COMMENT_LENGTH)


class PublicReschedule(Schema):
    start_datetime = BookingDateTime(required=True)


class _PublicRead(Schema):
    """What a client's link shows of either an appointment or a request: no notes, no other client's data."""

    id = fields.Integer()
    status = fields.String()
    business_name = fields.String()
    professional_slug = fields.String()
    timezone = fields.String()
    service = fields.Nested(ServiceSummary)


class PublicAppointmentRead(_PublicRead):
    """What the holder of an appointment link may see."""

    kind = fields.Constant("appointment")
    start_datetime = agenda_fields.AwareDateTime()
    end_datetime = agenda_fields.AwareDateTime()
    cancellation_policy_hours = fields.Integer()
    changes_allowed_until = agenda_fields.AwareDateTime()
    can_cancel = fields.Boolean()
    can_reschedule = fields.Boolean()
    hold_expires_at = agenda_fields.AwareDateTime(allow_none=True, metadata={
        "description": "Status held: the booking keeps its slot until then, waiting for the client to open "
                       "the confirmation link emailed to them."})


class PublicBookingRead(PublicAppointmentRead):
    """A booking just made: the appointment and the token that manages it (shown this once)."""

    cancellation_token = fields.String()


class PublicHoldRead(PublicAppointmentRead):
    """A booking held until the client confirms it from their email (202): no token; the emailed link is
    the only way to confirm and then manage it."""


class PublicRequestRead(_PublicRead):
    """What the holder of a request link may see."""

    kind = fields.Constant("appointment_request")
    requested_datetime = agenda_fields.AwareDateTime()
    end_datetime = agenda_fields.AwareDateTime()


class PublicRequestCreated(PublicRequestRead):
    """A request just sent: its view and the token to follow it (shown this once)."""

    request_token = fields.String()
