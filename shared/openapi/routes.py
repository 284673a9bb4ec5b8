"""Every route of every function, as data: what it takes, what it answers, who may call it.

shared.openapi.build turns this table into the OpenAPI document and refuses to run when a function's
url_map and the table disagree, so a route cannot be added (or removed) without documenting it here.

Problem answers follow from a row and need not be listed: 401 (and 403 for one role) with `auth`,
400/413/415/422 with a body, 422 with query parameters or paging, 404 with path parameters, 503 always.
`problems` lists the others a route may give (409 conflicts, 410 spent links, 429 rate limits...).
"""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema

from shared.accounts import schemas as accounts
from shared.admin import schemas as admin
from shared.appointments import schemas as appointments
from shared.availability import schemas as availability
from shared.calendars import schemas as calendars
from shared.catalog import schemas as catalog
from shared.notifications import schemas as notifications
from shared.openapi import schemas as common
from shared.privacy import schemas as privacy

# Who may call a route.
NONE = "none"  # anyone, no token
USER = "user"  # any logged-in account (professional or admin)
PROFESSIONAL = "professional"  # a professional's access token; an admin's gets 403
ADMIN = "admin"  # an admin's access token; a professional's gets 403
METRICS = "metrics"  # the deployment's metrics token

# A row for a route every function serves (shared.http.metrics).
EVERY_FUNCTION = "*"
# Blueprints of pages for people (HTML forms, functions/public/pages, described in README): not the API.
PAGE_BLUEPRINTS = ("pages",)
TEXT = "text/plain"
CALENDAR = "text/calendar"


@dataclass(frozen=True)
class Page:
    """A list answer: {"items": [item...], "total", "limit", "offset"}, paged by ?limit= and ?offset=."""

    item: type[Schema]


Response = type[Schema] | tuple[type[Schema], ...] | Page | str | None


@dataclass(frozen=True)
class Route:
    """One route of one function (`rule` as in its Flask url_map) and what it exchanges."""

    function: str
    method: str
    rule: str
    auth: str
    response: Response  # a schema, one of several schemas, a Page, TEXT, or None for 204 No Content
    status: int = 200
    body: type[Schema] | None = None
    body_required: bool = True
    query: type[Schema] | None = None
    paged: bool = False  # ?limit= and ?offset= without a Page answer (admin stats)
    problems: tuple[int, ...] = ()
    # Other success answers, e.g. 202 for a held booking or a request (a tuple: one of those schemas).
    also: tuple[tuple[int, type[Schema] | tuple[type[Schema], ...]], ...] = ()

    @property
    def takes_paging(self) -> bool:
        return self.paged or isinstance(self.response, Page)


ROUTES: list[Route] = [
    Route(EVERY_FUNCTION, "GET", "/metrics", METRICS, TEXT, problems=(404,)),
    # of-watchdog's readiness check (ready_path); no root route, so not in the public document.
    Route(EVERY_FUNCTION, "GET", "/_/ready", NONE, TEXT),
    Route("health", "GET", "/health", NONE, common.HealthRead),
    Route("health", "GET", "/health/ping", PROFESSIONAL, common.PingRead),
    # auth
    Route("auth", "POST", "/auth/register", NONE, accounts.SessionRead, status=201,
          body=accounts.RegistrationCreate, problems=(409, 429)),
    Route("auth", "POST", "/auth/login", NONE, accounts.SessionRead, body=accounts.LoginCreate,
          problems=(401, 429)),
    Route("auth", "POST", "/auth/refresh", NONE, accounts.TokensRead, body=accounts.RefreshCreate,
          problems=(401, 429)),
    Route("auth", "POST", "/auth/logout", NONE, None, body=accounts.RefreshCreate),
    Route("auth", "POST", "/auth/forgot-password", NONE, common.DetailRead, status=202,
          body=accounts.ForgotPasswordCreate, problems=(429,)),
    Route("auth", "POST", "/auth/reset-password", NONE, None, body=accounts.PasswordResetCreate,
          problems=(410, 429)),
    Route("auth", "POST", "/auth/verify-email", NONE, None, body=accounts.EmailVerificationCreate,
          problems=(410,)),
    # profile
    Route("profile", "GET", "/me", USER, accounts.MeRead),
    Route("profile", "POST", "/me/email-verification", PROFESSIONAL, common.DetailRead, status=202,
          problems=(409, 429)),
    Route("profile", "DELETE", "/me", PROFESSIONAL, privacy.AccountClosureRead, body=privacy.AccountClose,
          problems=(409,)),
    Route("profile", "PUT", "/me/profile", PROFESSIONAL, accounts.MeRead, body=accounts.ProfileUpdate,
          problems=(409,)),
    Route("profile", "GET", "/settings", PROFESSIONAL, accounts.SettingsRead),
    Route("profile", "PUT", "/settings", PROFESSIONAL, accounts.SettingsRead, body=accounts.SettingsUpdate),
    Route("profile", "GET", "/professionals/<slug>/public", NONE, accounts.PublicProfileRead),
    # catalog
    Route("catalog", "GET", "/services", PROFESSIONAL, Page(catalog.ServiceRead), query=catalog.ServiceQuery),
    Route("catalog", "POST", "/services", PROFESSIONAL, catalog.ServiceRead, status=201,
          body=catalog.ServiceCreate),
    Route("catalog", "PUT", "/services/<int:service_id>", PROFESSIONAL, catalog.ServiceRead,
          body=catalog.ServiceUpdate),
    Route("catalog", "DELETE", "/services/<int:service_id>", PROFESSIONAL, None),
    Route("catalog", "GET", "/clients", PROFESSIONAL, Page(catalog.ClientRead), query=catalog.ClientQuery),
    Route("catalog", "POST", "/clients", PROFESSIONAL, catalog.ClientRead, status=201,
          body=catalog.ClientCreate, problems=(409, 429)),
    Route("catalog", "GET", "/clients/<int:client_id>", PROFESSIONAL, catalog.ClientRead),
    Route("catalog", "PUT", "/clients/<int:client_id>", PROFESSIONAL, catalog.ClientRead,
          body=catalog.ClientUpdate, problems=(409,)),
    Route("catalog", "DELETE", "/clients/<int:client_id>", PROFESSIONAL, privacy.ClientErasureRead,
          problems=(409,)),
    Route("catalog", "GET", "/clients/<int:client_id>/export", PROFESSIONAL, privacy.ClientExportRead),
    # availability
    Route("availability", "GET", "/availability/blocks", PROFESSIONAL, Page(availability.BlockRead)),
    Route("availability", "POST", "/availability/blocks", PROFESSIONAL, availability.BlockRead, status=201,
          body=availability.BlockCreate, problems=(409,)),
    Route("availability", "PUT", "/availability/blocks/<int:block_id>", PROFESSIONAL, availability.BlockRead,
          body=availability.BlockUpdate, problems=(409,)),
    Route("availability", "DELETE", "/availability/blocks/<int:block_id>", PROFESSIONAL, None),
    Route("availability", "GET", "/availability/time-off", PROFESSIONAL, Page(availability.TimeOffRead),
          query=availability.TimeOffQuery),
    Route("availability", "POST", "/availability/time-off", PROFESSIONAL, availability.TimeOffRead,
          status=201, body=availability.TimeOffCreate),
    Route("availability", "DELETE", "/availability/time-off/<int:time_off_id>", PROFESSIONAL, None),
    Route("availability", "GET", "/availability/slots", PROFESSIONAL, availability.SlotsRead,
          query=availability.SlotQuery, problems=(404,)),
    Route("availability", "GET", "/calendar/feed", PROFESSIONAL, calendars.FeedRead),
    Route("availability", "PATCH", "/calendar/feed", PROFESSIONAL, calendars.FeedRead,
          body=calendars.FeedUpdate),
    Route("availability", "POST", "/calendar/feed/rotate", PROFESSIONAL, calendars.FeedRead),
    Route("availability", "GET", "/calendar/feed/<feed_token>.ics", NONE, CALENDAR),
    Route("availability", "GET", "/calendar/sources", PROFESSIONAL, Page(calendars.SourceRead)),
    Route("availability", "POST", "/calendar/sources", PROFESSIONAL, calendars.SourceRead, status=201,
          body=calendars.SourceCreate, problems=(409,)),
    Route("availability", "DELETE", "/calendar/sources/<int:source_id>", PROFESSIONAL, None),
    Route("availability", "POST", "/calendar/sources/<int:source_id>/sync", PROFESSIONAL,
          calendars.SourceRead),
    # appointments
    Route("appointments", "GET", "/appointments", PROFESSIONAL, Page(appointments.AppointmentRead),
          query=appointments.AppointmentQuery),
    Route("appointments", "POST", "/appointments", PROFESSIONAL,
          (appointments.AppointmentRead, appointments.AppointmentSeriesRead), status=201,
          body=appointments.AppointmentCreate, problems=(404, 409, 429)),
    Route("appointments", "GET", "/appointment-series/<int:series_id>", PROFESSIONAL,
          appointments.AppointmentSeriesRead),
    Route("appointments", "GET", "/appointments/<int:appointment_id>", PROFESSIONAL,
          appointments.AppointmentRead),
    Route("appointments", "PUT", "/appointments/<int:appointment_id>", PROFESSIONAL,
          appointments.AppointmentRead, body=appointments.AppointmentUpdate, query=appointments.ScopeQuery,
          problems=(409,)),
    Route("appointments", "DELETE", "/appointments/<int:appointment_id>", PROFESSIONAL,
          appointments.AppointmentRead, body=appointments.RequestReject, body_required=False,
          query=appointments.ScopeQuery, problems=(409,)),
    Route("appointments", "GET", "/appointment-requests", PROFESSIONAL,
          Page(appointments.AppointmentRequestRead), query=appointments.AppointmentRequestQuery),
    Route("appointments", "POST", "/appointment-requests/<int:request_id>/accept", PROFESSIONAL,
          appointments.AppointmentRequestRead, problems=(409,)),
    Route("appointments", "POST", "/appointment-requests/<int:request_id>/reject", PROFESSIONAL,
          appointments.AppointmentRequestRead, body=appointments.RequestReject, body_required=False,
          problems=(409,)),
    # public
    Route("public", "GET", "/public/professionals/<slug>/slots", NONE, availability.SlotsRead,
          query=availability.SlotQuery, problems=(429,)),
    Route("public", "POST", "/public/professionals/<slug>/appointments", NONE,
          appointments.PublicBookingRead, status=201, body=appointments.PublicBookingCreate,
          also=((202, (appointments.PublicHoldRead, appointments.PublicRequestCreated)),),
          problems=(409, 429)),
    Route("public", "GET", "/public/appointments/<token>", NONE,
          (appointments.PublicAppointmentRead, appointments.PublicRequestRead), problems=(429,)),
    Route("public", "POST", "/appointments/confirm/<token>", NONE, appointments.PublicAppointmentRead,
          problems=(410, 429)),
    Route("public", "POST", "/appointments/cancel/<token>", NONE, appointments.PublicAppointmentRead,
          query=appointments.ScopeQuery, problems=(409, 429)),
    Route("public", "POST", "/appointments/reschedule/<token>", NONE, appointments.PublicAppointmentRead,
          body=appointments.PublicReschedule, problems=(409, 429)),
    # notifications
    Route("notifications", "GET", "/notifications", PROFESSIONAL, Page(notifications.NotificationRead),
          query=notifications.NotificationQuery),
    # admin
    Route("admin", "GET", "/admin/professionals", ADMIN, Page(admin.ProfessionalRead),
          query=admin.ProfessionalQuery),
    Route("admin", "GET", "/admin/professionals/<int:professional_id>", ADMIN, admin.ProfessionalDetailRead),
    Route("admin", "DELETE", "/admin/professionals/<int:professional_id>", ADMIN, privacy.AccountClosureRead,
          body=privacy.AccountClose, problems=(409,)),
    Route("admin", "PUT", "/admin/professionals/<int:professional_id>/status", ADMIN,
          admin.ProfessionalDetailRead, body=admin.ProfessionalStatusUpdate),
    Route("admin", "GET", "/admin/stats", ADMIN, admin.StatsRead, query=admin.StatsQuery, paged=True),
    # reminders: no root route; the cron-connector calls it through the gateway
    Route("reminders", "POST", "/", NONE, common.ReminderSweepRead),
    Route("reminders", "POST", "/reminders", NONE, common.ReminderSweepRead),
]
