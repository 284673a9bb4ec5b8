"""Who may do what: every route × {anonymous, professional A, professional B, admin} → expected status.

Paths are the documented (gateway) paths. {placeholders} in paths, queries and bodies are tenant A's
objects and values (tests.contract.world.Tenant.ids / .values), so B always aims at A's objects:
B gets 404 for them (tenancy), anonymous 401 on protected routes, admin 403 on professional routes,
professionals 403 on admin routes; public routes answer everyone alike. On collection routes B acts
on its own tenant. test_authorization.py runs every cell and checks A's rows did not change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PRINCIPALS = ("anonymous", "a", "b", "admin")


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expect: tuple[int, int, int, int]  # anonymous, A, B, admin
    body: dict[str, Any] | None = None
    query: dict[str, str] = field(default_factory=dict)

    @property
    def public(self) -> bool:
        """Open to everyone: whoever holds the slug or link acts as the client."""
        return self.expect[0] < 400


OPEN_200 = (200, 200, 200, 200)
MINE = (401, 200, 200, 403)  # a professional's own collection or account
MINE_CREATED = (401, 201, 201, 403)
A_ONLY = (401, 200, 404, 403)  # one of A's objects
A_ONLY_NO_CONTENT = (401, 204, 404, 403)
ADMIN_ONLY = (401, 403, 403, 200)

MATRIX: list[Row] = [
    Row("GET", "/health", OPEN_200),
    Row("GET", "/health/ping", MINE),
    Row("GET", "/metrics", (401, 401, 401, 401)),  # only the deployment's metrics token
    # auth
    Row("POST", "/auth/register", (201, 201, 201, 201),
        {"email": "new@example.com", "password": "a long new password 2027", "name": "New",
         "business_name": "New Practice"}),
    Row("POST", "/auth/login", OPEN_200, {"email": "{email}", "password": "{password}"}),
    Row("POST", "/auth/refresh", OPEN_200, {"refresh_token": "{refresh_token}"}),
    Row("POST", "/auth/logout", (204, 204, 204, 204), {"refresh_token": "{refresh_token}"}),
    Row("POST", "/auth/forgot-password", (202, 202, 202, 202), {"email": "{email}"}),
    Row("POST", "/auth/reset-password", (204, 204, 204, 204),
        {"token": "{reset_token}", "password": "another long password 2027"}),
    Row("POST", "/auth/verify-email", (204, 204, 204, 204), {"token": "{verification_token}"}),
    # profile
    Row("GET", "/me", (401, 200, 200, 200)),
    Row("POST", "/me/email-verification", (401, 409, 409, 403)),  # A and B have verified theirs
    Row("PUT", "/me/profile", MINE, {"bio": "Updated."}),
    # Each tenant has an upcoming appointment: closing waits until it is cancelled.
    Row("DELETE", "/me", (401, 409, 409, 403), {"confirm": True}),
    Row("GET", "/settings", MINE),
    Row("PUT", "/settings", MINE, {"buffer_minutes": 5}),
    Row("GET", "/professionals/{slug}/public", OPEN_200),
    # catalog
    Row("GET", "/services", MINE),
    Row("POST", "/services", MINE_CREATED, {"name": "Massage", "duration_minutes": 30, "price": "20.00"}),
    Row("PUT", "/services/{service_id}", A_ONLY, {"name": "Renamed"}),
    Row("DELETE", "/services/{service_id}", A_ONLY_NO_CONTENT),
    Row("GET", "/clients", MINE),
    Row("POST", "/clients", MINE_CREATED, {"name": "New Client", "email": "new.client@example.com"}),
    Row("GET", "/clients/{client_id}", A_ONLY),
    Row("PUT", "/clients/{client_id}", A_ONLY, {"name": "Renamed"}),
    Row("GET", "/clients/{client_id}/export", A_ONLY),
    # A's client has an upcoming appointment: erasure waits until it is cancelled.
    Row("DELETE", "/clients/{client_id}", (401, 409, 404, 403)),
    # availability
    Row("GET", "/availability/blocks", MINE),
    Row("POST", "/availability/blocks", MINE_CREATED,
        {"weekday": 2, "start_time": "09:00", "end_time": "12:00"}),
    Row("PUT", "/availability/blocks/{block_id}", A_ONLY, {"end_time": "12:00"}),
    Row("DELETE", "/availability/blocks/{block_id}", A_ONLY_NO_CONTENT),
    Row("GET", "/availability/time-off", MINE),
    Row("POST", "/availability/time-off", MINE_CREATED,
        {"start_datetime": "{off_start}", "end_datetime": "{off_end}"}),
    Row("DELETE", "/availability/time-off/{time_off_id}", A_ONLY_NO_CONTENT),
    Row("GET", "/availability/slots", A_ONLY, query={"service_id": "{service_id}", "date": "{monday}"}),
    # calendars
    Row("GET", "/calendar/feed", MINE),
    Row("PATCH", "/calendar/feed", MINE, {"show_client_names": True}),
    Row("POST", "/calendar/feed/rotate", MINE),
    Row("GET", "/calendar/feed/{feed_token}.ics", OPEN_200),
    Row("GET", "/calendar/sources", MINE),
    Row("POST", "/calendar/sources", MINE_CREATED, {"kind": "ics", "url": "https://calendar.example.com/b.ics"}),
    Row("DELETE", "/calendar/sources/{source_id}", A_ONLY_NO_CONTENT),
    Row("POST", "/calendar/sources/{source_id}/sync", A_ONLY),
    # appointments
    Row("GET", "/appointments", MINE),
    Row("POST", "/appointments", (401, 201, 404, 403),
        {"service_id": "{service_id}", "client_id": "{client_id}", "start_datetime": "{free_start}"}),
    Row("GET", "/appointments/{appointment_id}", A_ONLY),
    Row("PUT", "/appointments/{appointment_id}", A_ONLY, {"notes": "Bring comfortable shoes."}),
    Row("DELETE", "/appointments/{appointment_id}", A_ONLY),
    Row("GET", "/appointment-series/{series_id}", A_ONLY),
    Row("GET", "/appointment-requests", MINE),
    Row("POST", "/appointment-requests/{request_id}/accept", A_ONLY),
    Row("POST", "/appointment-requests/{request_id}/reject", A_ONLY),
    # public: the client's side, by slug or by link
    Row("GET", "/public/professionals/{slug}/slots", OPEN_200,
        query={"service_id": "{service_id}", "date": "{monday}"}),
    Row("POST", "/public/professionals/{slug}/appointments", (201, 201, 201, 201),
        {"service_id": "{service_id}", "start_datetime": "{free_start}", "name": "Pat Client",
         "email": "pat@example.com"}),
    Row("GET", "/public/appointments/{token}", OPEN_200),
    Row("POST", "/appointments/confirm/{token}", OPEN_200),
    Row("POST", "/appointments/cancel/{token}", OPEN_200),
    Row("POST", "/appointments/reschedule/{token}", OPEN_200, {"start_datetime": "{later_start}"}),
    # notifications
    Row("GET", "/notifications", MINE),
    # admin
    Row("GET", "/admin/professionals", ADMIN_ONLY),
    Row("GET", "/admin/professionals/{professional_id}", ADMIN_ONLY),
    Row("PUT", "/admin/professionals/{professional_id}/status", ADMIN_ONLY, {"is_active": True}),
    Row("DELETE", "/admin/professionals/{professional_id}", (401, 403, 403, 409), {"confirm": True}),
    Row("GET", "/admin/stats", ADMIN_ONLY),
    # reminders: the cron-connector's call through the gateway (no root route)
    Row("POST", "/function/reminders/", OPEN_200),
    Row("POST", "/function/reminders/reminders", OPEN_200),
]
