"""What the auth, profile and settings endpoints accept and return, named by direction."""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate

from shared import fields as agenda_fields
from shared.accounts import slugs
from shared.fields import JsonBoolean, StrictInteger, Text, prose

NAME_LENGTH = 200
PHONE_LENGTH = 40
BIO_LENGTH = 5000
ADDRESS_LENGTH = 500
SECRET_LENGTH = 1024  # passwords and tokens: generous, but bounded before any hashing happens


class Slug(fields.String):
    """A public slug: trimmed and lower-cased, then 3–80 letters, digits and single dashes."""

    default_error_messages = {
        "slug": "Use 3 to 80 lower-case letters, digits and single dashes, e.g. dr-ana-lopez.",
        "reserved": "This slug is reserved; choose another.",
    }

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        slug = super()._deserialize(value, attr, data, **kwargs).strip().lower()
        if not slugs.is_valid(slug):
            raise self.make_error("slug")
        if slugs.is_reserved(slug):
            raise self.make_error("reserved")
        return slug


def _name(**kwargs) -> Text:
    return Text(validate=validate.Length(min=1, max=NAME_LENGTH), **kwargs)


def _secret(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=SECRET_LENGTH), **kwargs)


class RegistrationCreate(Schema):
    email = agenda_fields.Email(required=True)
    password = fields.String(required=True, validate=validate.Length(max=SECRET_LENGTH))
    name = _name(required=True)
    business_name = _name(required=True)
    public_slug = Slug(load_default=None)
    timezone = agenda_fields.IanaTimezone(load_default="Europe/Madrid")


class LoginCreate(Schema):
    # Any string: a malformed email is just a failed login, answered like every other.
    email = fields.String(required=True, validate=validate.Length(max=320))
    password = _secret(required=True)


class RefreshCreate(Schema):
    refresh_token = _secret(required=True)


class ForgotPasswordCreate(Schema):
    email = agenda_fields.Email(required=True)


class PasswordResetCreate(Schema):
    token = _secret(required=True)
    password = fields.String(required=True, validate=validate.Length(max=SECRET_LENGTH))


class EmailVerificationCreate(Schema):
    token = _secret(required=True)


class ProfileUpdate(Schema):
    """Any subset of the fields; those left out keep their value."""

    name = _name()
    business_name = _name()
    public_slug = Slug()
    timezone = agenda_fields.IanaTimezone()
    phone = Text(blank_as_none=True, allow_none=True, validate=validate.Length(max=PHONE_LENGTH))
    bio = prose(BIO_LENGTH)
    address = Text(blank_as_none=True, allow_none=True, validate=validate.Length(max=ADDRESS_LENGTH))


MAX_EMBED_ORIGINS = 10
# An origin a browser sends: https://host[:port] (http only for a developer's own machine). Nothing else
# may reach the Content-Security-Policy it is written into.
EMBED_ORIGIN = re.compile(r"(https://[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*"
                          r"|http://(localhost|127\.0\.0\.1))(:[0-9]{1,5})?")


class EmbedOrigin(fields.String):
    """A site that may show the booking page in a frame, as the origin its address bar shows."""

    def _deserialize(self, value, attr, data, **kwargs):
        origin = super()._deserialize(value, attr, data, **kwargs).strip().rstrip("/").lower()
        if len(origin) > 200 or not EMBED_ORIGIN.fullmatch(origin):
            raise ValidationError("Give an origin such as https://www.example.com (no path).")
        return origin


class SettingsUpdate(Schema):
    """Any subset of the settings; those left out keep their value (a merge)."""

    booking_advance_days = StrictInteger(validate=validate.Range(1, 365))
    cancellation_policy_hours = StrictInteger(validate=validate.Range(0, 720))
    reminder_time_before_appointment_minutes = StrictInteger(validate=validate.Range(0, 10080))
    default_appointment_status = fields.String(validate=validate.OneOf(["pending", "confirmed"]))
    allow_public_booking = JsonBoolean()
    email_notification_enabled = JsonBoolean()
    slot_interval_minutes = StrictInteger(allow_none=True, validate=validate.Range(5, 720))
    buffer_minutes = StrictInteger(validate=validate.Range(0, 240))
    minimum_notice_minutes = StrictInteger(validate=validate.Range(0, 43200))
    max_pending_public_bookings = StrictInteger(validate=validate.Range(1, 50))
    locale = fields.String(validate=validate.OneOf(["es", "en"]))
    embed_origins = fields.List(EmbedOrigin(), validate=validate.Length(max=MAX_EMBED_ORIGINS))
    require_email_confirmation = JsonBoolean()
    booking_hold_minutes = StrictInteger(validate=validate.Range(5, 1440))
    allow_client_series_cancel = JsonBoolean(metadata={
        "description": "A client's link may cancel the rest of a weekly series at once (default false)."})


SETTINGS_FIELDS = tuple(SettingsUpdate().fields)


class SettingsRead(Schema):
    id = fields.Integer()
    booking_advance_days = fields.Integer()
    cancellation_policy_hours = fields.Integer()
    reminder_time_before_appointment_minutes = fields.Integer()
    default_appointment_status = fields.String()
    allow_public_booking = fields.Boolean()
    email_notification_enabled = fields.Boolean()
    slot_interval_minutes = fields.Integer(allow_none=True)
    buffer_minutes = fields.Integer()
    minimum_notice_minutes = fields.Integer()
    max_pending_public_bookings = fields.Integer()
    locale = fields.String()
    embed_origins = fields.List(fields.String())
    require_email_confirmation = fields.Boolean(metadata={
        "description": "A public booking holds its slot until the client confirms it from their email."})
    booking_hold_minutes = fields.Integer(metadata={
        "description": "How long a held booking waits for the client's confirmation."})
    allow_client_series_cancel = fields.Boolean()
    updated_at = agenda_fields.AwareDateTime()


class UserRead(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    is_active = fields.Boolean()
    email_verified_at = agenda_fields.AwareDateTime(allow_none=True)
    last_login_at = agenda_fields.AwareDateTime(allow_none=True)
    created_at = agenda_fields.AwareDateTime()


class ProfessionalRead(Schema):
    id = fields.Integer()
    business_name = fields.String()
    public_slug = fields.String()
    timezone = fields.String()
    phone = fields.String(allow_none=True)
    bio = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    is_active = fields.Boolean()
    created_at = agenda_fields.AwareDateTime()
    updated_at = agenda_fields.AwareDateTime()


class MeRead(Schema):
    user = fields.Nested(UserRead)
    professional = fields.Nested(ProfessionalRead, allow_none=True)


class TokensRead(Schema):
    access_token = fields.String()
    refresh_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class SessionRead(TokensRead):
    """Tokens plus who they belong to (register, login)."""

    user = fields.Nested(UserRead)
    professional = fields.Nested(ProfessionalRead, allow_none=True)


class PublicServiceRead(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String(allow_none=True)
    duration_minutes = fields.Integer()
    price = agenda_fields.Price()


class PublicProfileRead(Schema):
    name = fields.String()
    business_name = fields.String()
    public_slug = fields.String()
    timezone = fields.String()
    bio = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    services = fields.List(fields.Nested(PublicServiceRead))
