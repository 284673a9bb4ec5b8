"""What the admin endpoints accept and return, named by direction (Query / Update / Read)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.fields import JsonBoolean, PeriodQuery, Text
from shared.models import AppointmentStatus

SEARCH_LENGTH = 200
APPOINTMENT_STATUSES = tuple(status.value for status in AppointmentStatus)


class ProfessionalQuery(Schema):
    """Filters of the professional list: ?q= (name, business name, email or slug) and ?is_active=."""

    q = Text(blank_as_none=True, allow_none=True, validate=validate.Length(max=SEARCH_LENGTH))
    is_active = fields.Boolean(truthy={"true"}, falsy={"false"},
                               error_messages={"invalid": "Use true or false."})


class ProfessionalStatusUpdate(Schema):
    """Activate or deactivate a professional's account."""

    is_active = JsonBoolean(required=True)


class StatsQuery(PeriodQuery):
    """The period of /admin/stats: [from, to), where a date `to` includes that whole (UTC) day."""


class ProfessionalRead(Schema):
    """A professional as the operator sees it: profile and account together."""

    id = fields.Integer()
    user_id = fields.Integer()
    email = fields.String(attribute="user.email")
    name = fields.String(attribute="user.name")
    business_name = fields.String()
    public_slug = fields.String()
    timezone = fields.String()
    is_active = fields.Boolean()
    user_is_active = fields.Boolean(attribute="user.is_active")
    last_login_at = fields.DateTime(attribute="user.last_login_at", allow_none=True)
    created_at = fields.DateTime()


class AppointmentCountsRead(Schema):
    """Appointments by status, and their total."""

    pending = fields.Integer()
    confirmed = fields.Integer()
    completed = fields.Integer()
    cancelled_by_professional = fields.Integer()
    cancelled_by_client = fields.Integer()
    held = fields.Integer(metadata={"description": "Public bookings waiting for the client's email "
                                                   "confirmation."})
    expired = fields.Integer(metadata={"description": "Held bookings nobody confirmed in time: not in the "
                                                      "total, and not cancellations."})
    total = fields.Integer(metadata={"description": "Every status but expired."})


class ProfessionalCountsRead(Schema):
    services = fields.Integer()
    active_services = fields.Integer()
    clients = fields.Integer()
    appointments = fields.Nested(AppointmentCountsRead)


class ProfessionalDetailRead(ProfessionalRead):
    phone = fields.String(allow_none=True)
    bio = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    counts = fields.Nested(ProfessionalCountsRead)


class ActivityRead(Schema):
    """What happened in the period: appointments starting in it by status, the distinct clients they were
    for, clients added in it, and the services active now."""

    appointments = fields.Nested(AppointmentCountsRead)
    clients = fields.Integer()
    new_clients = fields.Integer()
    active_services = fields.Integer()


class TotalsRead(ActivityRead):
    professionals = fields.Integer()
    active_professionals = fields.Integer()
    new_professionals = fields.Integer()


class ProfessionalActivityRead(ActivityRead):
    professional_id = fields.Integer()
    business_name = fields.String()
    public_slug = fields.String()
    is_active = fields.Boolean()


class ProfessionalActivityPage(Schema):
    items = fields.List(fields.Nested(ProfessionalActivityRead))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


class StatsRead(Schema):
    """Platform statistics for a period: totals, and one row per professional (busiest first, paged)."""

    date_from = fields.DateTime(data_key="from")
    date_to = fields.DateTime(data_key="to")
    totals = fields.Nested(TotalsRead)
    professionals = fields.Nested(ProfessionalActivityPage)
