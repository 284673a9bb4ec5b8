"""Admin over HTTP: who may call it, finding professionals, their counts, and (de)activating them."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from shared.accounts import refresh
from shared.models import AuditLog, Professional, RefreshToken, User
from tests.factories import (
    DEFAULT_PASSWORD,
    bearer,
    headers_for,
    make_appointment,
    make_client,
    make_professional,
    make_service,
)

ENDPOINTS = [
    ("get", "/admin/professionals", None),
    ("get", "/admin/professionals/1", None),
    ("put", "/admin/professionals/1/status", {"is_active": False}),
    ("get", "/admin/stats", None),
]
START = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


def call(gateway, method: str, path: str, body, headers=None):
    return getattr(gateway, method)(path, json=body, headers=headers or {})


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_admin_endpoints_need_a_token(gateway, method, path, body):
    response = call(gateway, method, path, body)

    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_a_professional_token_is_forbidden_on_admin_endpoints(gateway, professional, method, path, body):
    response = call(gateway, method, path, body, headers_for(professional))

    assert response.status_code == 403
    assert response.get_json()["status"] == 403


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_admin_endpoints_answer_under_the_function_url_too(gateway, admin_headers, professional, method, path,
                                                           body):
    path = path.replace("/1", f"/{professional.id}")
    response = call(gateway, method, f"/function/admin{path}", body, admin_headers)

    assert response.status_code == 200


@pytest.fixture
def directory(uow):
    """Three professionals: two active, one inactive, with distinct names, emails and slugs."""
    ana = make_professional(uow.session, email="ana@clinic.example", business_name="Ana Psicología",
                            public_slug="ana-psicologia")
    ana.user.name = "Ana Torres"
    bruno = make_professional(uow.session, email="bruno@coach.example", business_name="Bruno Coaching",
                              public_slug="bruno-coaching")
    bruno.user.name = "Bruno Díaz"
    carla = make_professional(uow.session, email="carla@therapy.example", business_name="Carla 100% Zen",
                              public_slug="carla-zen", is_active=False)
    carla.user.name = "Carla Ruiz"
    uow.commit()
    return {"ana": ana, "bruno": bruno, "carla": carla}


def listed(gateway, headers, query: str = "") -> dict:
    response = gateway.get(f"/admin/professionals{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_list_is_a_page_of_professionals_newest_first(gateway, admin_headers, directory):
    body = listed(gateway, admin_headers)

    assert {k: body[k] for k in ("total", "limit", "offset")} == {"total": 3, "limit": 50, "offset": 0}
    assert [item["public_slug"] for item in body["items"]] == [
        "carla-zen", "bruno-coaching", "ana-psicologia"]
    ana = body["items"][2]
    assert set(ana) == {"id", "user_id", "email", "name", "business_name", "public_slug", "timezone",
                        "is_active", "user_is_active", "last_login_at", "created_at"}
    assert ana | {"created_at": None} == {
        "id": directory["ana"].id, "user_id": directory["ana"].user_id, "email": "ana@clinic.example",
        "name": "Ana Torres", "business_name": "Ana Psicología", "public_slug": "ana-psicologia",
        "timezone": "Europe/Madrid", "is_active": True, "user_is_active": True, "last_login_at": None,
        "created_at": None}


def test_the_list_pages_with_limit_and_offset(gateway, admin_headers, directory):
    body = listed(gateway, admin_headers, "?limit=2&offset=1")

    assert body["total"] == 3
    assert [item["public_slug"] for item in body["items"]] == ["bruno-coaching", "ana-psicologia"]


@pytest.mark.parametrize(("q", "slugs"), [
    ("torres", ["ana-psicologia"]),               # the account's name, any case
    ("BRUNO@coach", ["bruno-coaching"]),           # email
    ("carla-zen", ["carla-zen"]),                  # slug
    ("coaching", ["bruno-coaching"]),              # business name
    (".example", ["carla-zen", "bruno-coaching", "ana-psicologia"]),
    ("100%", ["carla-zen"]),                       # % is a character, not a wildcard
    ("%", ["carla-zen"]),
    ("_", []),
    ("nobody", []),
    ("   ", ["carla-zen", "bruno-coaching", "ana-psicologia"]),  # blank: no filter
])
def test_the_list_is_searched_by_name_email_and_slug(gateway, admin_headers, directory, q, slugs):
    from urllib.parse import quote

    body = listed(gateway, admin_headers, f"?q={quote(q)}")

    assert [item["public_slug"] for item in body["items"]] == slugs
    assert body["total"] == len(slugs)


@pytest.mark.parametrize(("flag", "slugs"), [
    ("true", ["bruno-coaching", "ana-psicologia"]),
    ("false", ["carla-zen"]),
])
def test_the_list_is_filtered_by_is_active(gateway, admin_headers, directory, flag, slugs):
    body = listed(gateway, admin_headers, f"?is_active={flag}")

    assert [item["public_slug"] for item in body["items"]] == slugs


@pytest.mark.parametrize("query", ["?is_active=yes", "?is_active=1", "?limit=0", "?limit=201", "?offset=-1",
                                   "?q=" + "x" * 201, "?unknown=1"])
def test_bad_list_parameters_are_422(gateway, admin_headers, query):
    response = gateway.get(f"/admin/professionals{query}", headers=admin_headers)

    assert response.status_code == 422
    assert response.get_json()["errors"]


def test_the_detail_counts_services_clients_and_appointments_by_status(gateway, admin_headers, uow,
                                                                        professional, other_professional):
    session = uow.session
    therapy = make_service(session, professional, name="Therapy")
    make_service(session, professional, name="Old", is_active=False)
    ana = make_client(session, professional, name="Ana")
    make_client(session, professional, name="Luis")
    for hours, status in enumerate(["confirmed", "confirmed", "pending", "completed", "cancelled_by_client"]):
        make_appointment(session, professional, service=therapy, client=ana,
                         start=START + dt.timedelta(hours=hours * 2), status=status)
    theirs = make_service(session, other_professional)
    their_client = make_client(session, other_professional)
    make_appointment(session, other_professional, service=theirs, client=their_client, start=START)
    uow.commit()

    response = gateway.get(f"/admin/professionals/{professional.id}", headers=admin_headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == professional.id
    assert body["email"] == "pro@example.com"
    assert body["counts"] == {
        "services": 2, "active_services": 1, "clients": 2,
        "appointments": {"pending": 1, "confirmed": 2, "completed": 1, "cancelled_by_professional": 0,
                         "cancelled_by_client": 1, "held": 0, "expired": 0, "total": 5},
    }


@pytest.mark.parametrize("path", ["/admin/professionals/999999", "/admin/professionals/99999999999999999999",
                                  "/admin/professionals/999999/status"])
def test_an_unknown_professional_is_404(gateway, admin_headers, path):
    method = "put" if path.endswith("/status") else "get"
    response = call(gateway, method, path, {"is_active": False}, admin_headers)

    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"


def audit_rows(uow, action: str) -> list[AuditLog]:
    uow.session.expire_all()
    return list(uow.session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_deactivation_locks_the_account_out_revokes_sessions_and_hides_the_public_page(
        gateway, uow, admin, admin_headers, professional):
    pro_headers = headers_for(professional)
    login = gateway.post("/auth/login", json={"email": "pro@example.com", "password": DEFAULT_PASSWORD})
    assert login.status_code == 200
    refresh_token = login.get_json()["refresh_token"]
    refresh.issue(uow.session, user_id=professional.user_id)
    uow.commit()
    assert gateway.get("/services", headers=pro_headers).status_code == 200
    assert gateway.get(f"/professionals/{professional.public_slug}/public").status_code == 200

    response = gateway.put(f"/admin/professionals/{professional.id}/status", json={"is_active": False},
                           headers={**admin_headers, "X-Request-ID": "deactivate-1"},
                           environ_base={"REMOTE_ADDR": "198.51.100.7"})

    assert response.status_code == 200
    assert response.get_json()["is_active"] is False
    assert response.get_json()["user_is_active"] is False
    uow.session.expire_all()
    assert uow.session.get(Professional, professional.id).is_active is False
    assert uow.session.get(User, professional.user_id).is_active is False
    tokens = list(uow.session.scalars(
        select(RefreshToken).where(RefreshToken.user_id == professional.user_id)))
    assert len(tokens) == 2 and all(token.revoked_at is not None for token in tokens)
    # The very next request with the still-unexpired access token is refused, and so is a refresh.
    assert gateway.get("/services", headers=pro_headers).status_code == 401
    assert gateway.post("/auth/refresh", json={"refresh_token": refresh_token}).status_code == 401
    assert gateway.post("/auth/login", json={"email": "pro@example.com",
                                             "password": DEFAULT_PASSWORD}).status_code == 401
    assert gateway.get(f"/professionals/{professional.public_slug}/public").status_code == 404
    (row,) = audit_rows(uow, "professional.deactivated")
    assert (row.user_id, row.professional_id, row.entity_type, row.entity_id) == (
        admin.id, professional.id, "professional", professional.id)
    assert row.request_id == "deactivate-1"
    assert str(row.ip_address) == "198.51.100.7"
    assert row.metadata_["public_slug"] == professional.public_slug


def test_reactivation_lets_the_professional_back_in(gateway, uow, admin, admin_headers, professional):
    pro_headers = headers_for(professional)
    gateway.put(f"/admin/professionals/{professional.id}/status", json={"is_active": False},
                headers=admin_headers)
    assert gateway.get("/services", headers=pro_headers).status_code == 401

    response = gateway.put(f"/admin/professionals/{professional.id}/status", json={"is_active": True},
                           headers=admin_headers)

    assert response.status_code == 200
    assert response.get_json()["is_active"] is True
    # The tokens held before the deactivation stay ended; a new login (token) works.
    assert gateway.get("/services", headers=pro_headers).status_code == 401
    assert gateway.get("/services", headers=headers_for(professional)).status_code == 200
    assert gateway.get(f"/professionals/{professional.public_slug}/public").status_code == 200
    assert len(audit_rows(uow, "professional.activated")) == 1


def test_setting_the_state_it_already_has_changes_nothing_and_records_nothing(gateway, uow, admin_headers,
                                                                             professional):
    response = gateway.put(f"/admin/professionals/{professional.id}/status", json={"is_active": True},
                           headers=admin_headers)

    assert response.status_code == 200
    assert response.get_json()["is_active"] is True
    assert audit_rows(uow, "professional.activated") == []
    assert gateway.get("/services", headers=headers_for(professional)).status_code == 200


def test_deactivating_one_professional_leaves_the_others_alone(gateway, admin_headers, professional,
                                                               other_professional):
    gateway.put(f"/admin/professionals/{professional.id}/status", json={"is_active": False},
                headers=admin_headers)

    assert gateway.get("/services", headers=headers_for(other_professional)).status_code == 200


@pytest.mark.parametrize("body", [{}, {"is_active": "false"}, {"is_active": 0}, {"is_active": None},
                                  {"is_active": False, "reason": "x"}])
def test_a_bad_status_body_is_422(gateway, admin_headers, professional, body):
    response = gateway.put(f"/admin/professionals/{professional.id}/status", json=body, headers=admin_headers)

    assert response.status_code == 422
    assert response.get_json()["errors"]


def test_a_status_body_that_is_not_json_is_415(gateway, admin_headers, professional):
    response = gateway.put(f"/admin/professionals/{professional.id}/status", data="is_active=false",
                           headers={**admin_headers, "Content-Type": "application/x-www-form-urlencoded"})

    assert response.status_code == 415


def test_a_deactivated_admin_is_locked_out(gateway, uow, admin, admin_headers):
    uow.session.get(User, admin.id).is_active = False
    uow.commit()

    assert gateway.get("/admin/professionals", headers=admin_headers).status_code == 401


def test_an_admin_token_for_a_professional_account_is_refused(gateway, professional):
    forged = bearer(professional.user)  # claims no professional id: it no longer matches the account

    assert gateway.get("/admin/professionals", headers=forged).status_code == 401
