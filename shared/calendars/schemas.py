"""What the calendar endpoints accept and return: the feed, and the calendar sources read as busy time."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.fields import JsonBoolean, Text

URL_LENGTH = 2048
USERNAME_LENGTH = 254
PASSWORD_LENGTH = 1024


class FeedRead(Schema):
    url = fields.String(metadata={"description": "the secret https URL of the .ics feed; no login needed"})
    webcal_url = fields.String(metadata={"description": "the same feed as webcal://, for subscribing"})
    show_client_names = fields.Boolean(metadata={"description": "titles show full names, not initials"})


class FeedUpdate(Schema):
    show_client_names = JsonBoolean(required=True)


class SourceCreate(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(("ics", "caldav")))
    url = Text(required=True, validate=validate.Length(min=8, max=URL_LENGTH),
               metadata={"description": "http(s) or webcal:// address of an ICS file, or a CalDAV calendar"})
    username = Text(validate=validate.Length(min=1, max=USERNAME_LENGTH))
    password = fields.String(validate=validate.Length(min=1, max=PASSWORD_LENGTH),
                             metadata={"description": "CalDAV app password; kept encrypted, never returned"})
    all_day_blocks = JsonBoolean(load_default=True,
                                 metadata={"description": "whether all-day events make the day busy"})

    @validates_schema
    def _credentials_match_kind(self, data, **kwargs):
        if data.get("kind") == "caldav":
            missing = {name: ["Required for a CalDAV calendar."] for name in ("username", "password")
                       if not data.get(name)}
            if missing:
                raise ValidationError(missing)
        elif data.get("kind") == "ics":
            given = {name: ["An ICS address takes no credentials; use its secret URL."]
                     for name in ("username", "password") if name in data}
            if given:
                raise ValidationError(given)


class SourceRead(Schema):
    id = fields.Integer()
    kind = fields.String()
    url = fields.String()
    username = fields.String(allow_none=True)
    all_day_blocks = fields.Boolean()
    last_attempt_at = fields.AwareDateTime(allow_none=True)
    last_synced_at = fields.AwareDateTime(allow_none=True,
                                          metadata={"description": "last time the calendar was read"})
    busy_count = fields.Integer(metadata={"description": "busy intervals currently held from it"})
    last_error = fields.String(allow_none=True, metadata={"description": "why the last attempt failed"})
    flagged_at = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "when its busy time stopped counting because it failed for too long"})
    created_at = fields.AwareDateTime()
