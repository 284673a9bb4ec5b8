"""What the privacy endpoints return: a client's export, and the outcome of an erasure."""

from __future__ import annotations

from marshmallow import Schema, fields

from shared import fields as agenda_fields
from shared.fields import JsonBoolean


class ClientExportRead(Schema):
    """Everything held about one client for the professional: each row with every column, by its database
    name, instants in RFC 3339, private notes decrypted."""

    exported_at = fields.String()
    professional = fields.Dict(metadata={"description": "id and business_name of the data controller"})
    client = fields.Dict()
    appointments = fields.List(fields.Dict())
    appointment_requests = fields.List(fields.Dict(), metadata={
        "description": "made with the client's email"})
    notifications = fields.List(fields.Dict(), metadata={
        "description": "e-mails to the client, and to the professional about the client's bookings"})
    audit_logs = fields.List(fields.Dict(), metadata={
        "description": "entries naming the client, their appointments or their requests"})


class AccountClose(Schema):
    """Closing an account erases every client: `confirm` must be true (after exporting what is needed)."""

    confirm = JsonBoolean(load_default=False)


class AccountClosureRead(Schema):
    professional_id = fields.Integer()
    closed_at = agenda_fields.AwareDateTime()
    clients_erased = fields.Integer()
    appointment_requests_erased = fields.Integer()


class ClientErasureRead(Schema):
    """An erasure done: the client's row remains, anonymised, so past appointments still count."""

    id = fields.Integer()
    erased_at = agenda_fields.AwareDateTime()
    appointments_kept = fields.Integer()
    appointment_requests_erased = fields.Integer()
    notifications_erased = fields.Integer()
