"""Booking settings: read, merge partial updates, refuse out-of-range values, audit changed field names."""

from __future__ import annotations

import pytest

from tests.factories import make_admin, make_professional

DEFAULTS = {
    "booking_advance_days": 60, "cancellation_policy_hours": 24,
    "reminder_time_before_appointment_minutes": 1440, "default_appointment_status": "confirmed",
    "allow_public_booking": True, "email_notification_enabled": True, "slot_interval_minutes": None,
    "buffer_minutes": 0, "minimum_notice_minutes": 120, "max_pending_public_bookings": 3, "locale": "es",
    "embed_origins": [], "allow_client_series_cancel": False,
}


@pytest.fixture
def pro(uow):
    professional = make_professional(uow.session, email="pro@example.com")
    uow.commit()
    return professional


def test_settings_start_with_sensible_defaults(pro, client, auth_headers, rows):
    body = client.get("/settings", headers=auth_headers(pro)).get_json()

    assert {k: body[k] for k in DEFAULTS} == DEFAULTS
    assert rows("SELECT id, professional_id FROM professional_settings") == [
        {"id": body["id"], "professional_id": pro.id}]


def test_the_settings_id_cannot_be_changed(pro, client, auth_headers):
    headers = auth_headers(pro)
    before = client.get("/settings", headers=headers).get_json()

    response = client.put("/settings", headers=headers, json={"id": before["id"] + 1})

    assert response.status_code == 422 and "id" in response.get_json()["errors"]
    assert client.get("/settings", headers=headers).get_json() == before


def test_put_settings_merges_the_given_fields(pro, client, auth_headers):
    headers = auth_headers(pro)

    response = client.put("/settings", headers=headers, json={
        "locale": "en", "slot_interval_minutes": 15, "default_appointment_status": "pending"})

    assert response.status_code == 200
    expected = {**DEFAULTS, "locale": "en", "slot_interval_minutes": 15,
                "default_appointment_status": "pending"}
    assert {k: response.get_json()[k] for k in DEFAULTS} == expected
    after = client.put("/settings", headers=headers, json={"slot_interval_minutes": None}).get_json()
    assert after["slot_interval_minutes"] is None and after["locale"] == "en"


@pytest.mark.parametrize(("field", "value"), [
    ("booking_advance_days", 0), ("booking_advance_days", 366), ("booking_advance_days", "30"),
    ("booking_advance_days", 1.5), ("booking_advance_days", True), ("booking_advance_days", None),
    ("cancellation_policy_hours", -1), ("cancellation_policy_hours", 721),
    ("reminder_time_before_appointment_minutes", -1), ("reminder_time_before_appointment_minutes", 10081),
    ("default_appointment_status", "cancelled"), ("default_appointment_status", None),
    ("allow_public_booking", "yes"), ("allow_public_booking", 1), ("email_notification_enabled", None),
    ("slot_interval_minutes", 4), ("slot_interval_minutes", 721),
    ("buffer_minutes", -5), ("buffer_minutes", 241),
    ("minimum_notice_minutes", -1), ("minimum_notice_minutes", 43201),
    ("max_pending_public_bookings", 0), ("max_pending_public_bookings", 51),
    ("locale", "fr"), ("locale", "ES"), ("professional_id", 99),
    ("require_email_confirmation", "no"), ("require_email_confirmation", None),
    ("booking_hold_minutes", 4), ("booking_hold_minutes", 1441), ("booking_hold_minutes", "30"),
])
def test_out_of_range_setting_is_422_and_changes_nothing(field, value, pro, client, auth_headers, snapshot):
    before = snapshot()

    response = client.put("/settings", headers=auth_headers(pro), json={field: value})

    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert snapshot() == before


@pytest.mark.parametrize(("field", "value"), [
    ("booking_advance_days", 1), ("booking_advance_days", 365), ("cancellation_policy_hours", 0),
    ("cancellation_policy_hours", 720), ("reminder_time_before_appointment_minutes", 10080),
    ("slot_interval_minutes", 5), ("slot_interval_minutes", 720), ("buffer_minutes", 240),
    ("minimum_notice_minutes", 43200), ("max_pending_public_bookings", 1),
    ("max_pending_public_bookings", 50),
    ("allow_public_booking", False), ("email_notification_enabled", False),
    ("require_email_confirmation", True), ("require_email_confirmation", False),
    ("booking_hold_minutes", 5), ("booking_hold_minutes", 1440),
])
def test_boundary_values_are_accepted(field, value, pro, client, auth_headers):
    response = client.put("/settings", headers=auth_headers(pro), json={field: value})

    assert response.status_code == 200 and response.get_json()[field] == value


def test_settings_change_is_audited_with_the_changed_field_names(pro, client, auth_headers, rows):
    client.put("/settings", headers=auth_headers(pro), json={"buffer_minutes": 10, "locale": "es"})

    [audit] = rows("SELECT action, user_id, professional_id, entity_id, metadata FROM audit_logs")
    [settings] = rows("SELECT id FROM professional_settings")
    assert audit == {"action": "settings.updated", "user_id": pro.user_id, "professional_id": pro.id,
                     "entity_id": settings["id"], "metadata": {"fields": ["buffer_minutes"]}}


def test_settings_need_a_professionals_token(uow, client, auth_headers):
    admin = make_admin(uow.session, email="ops@example.com")
    uow.commit()

    assert client.get("/settings").status_code == 401
    assert client.get("/settings", headers=auth_headers(admin)).status_code == 403
    assert client.put("/settings", json={"locale": "en"}).status_code == 401


def test_each_professional_sees_only_their_own_settings(pro, other_professional, client, auth_headers):
    client.put("/settings", headers=auth_headers(other_professional), json={"locale": "en"})

    assert client.get("/settings", headers=auth_headers(pro)).get_json()["locale"] == "es"


def test_embed_origins_are_origins_each_once(pro, client, auth_headers):
    response = client.put("/settings", headers=auth_headers(pro), json={"embed_origins": [
        "https://www.Example.com/", "https://shop.example.com:8443", "https://www.example.com",
        "http://localhost:3000"]})

    assert response.status_code == 200
    assert response.get_json()["embed_origins"] == [
        "https://www.example.com", "https://shop.example.com:8443", "http://localhost:3000"]
    assert client.put("/settings", headers=auth_headers(pro),
                      json={"embed_origins": []}).get_json()["embed_origins"] == []


@pytest.mark.parametrize("value", [
    "http://www.example.com", "https://www.example.com/book", "https://*.example.com", "example.com",
    "https://www.example.com; script-src *", "'self'", "https://user@example.com", "", "https://",
    "https://www.example.com?x=1", 42,
])
def test_an_embed_origin_that_is_not_one_is_422(value, pro, client, auth_headers, snapshot):
    before = snapshot()

    response = client.put("/settings", headers=auth_headers(pro), json={"embed_origins": [value]})

    assert response.status_code == 422
    assert any(key.startswith("embed_origins") for key in response.get_json()["errors"])
    assert snapshot() == before


def test_at_most_ten_embed_origins(pro, client, auth_headers):
    origins = [f"https://site{n}.example.com" for n in range(11)]

    too_many = client.put("/settings", headers=auth_headers(pro), json={"embed_origins": origins})
    assert too_many.status_code == 422
    assert client.put("/settings", headers=auth_headers(pro),
                      json={"embed_origins": origins[:10]}).status_code == 200


def test_a_professional_may_let_clients_cancel_the_rest_of_a_series(pro, client, auth_headers):
    response = client.put("/settings", headers=auth_headers(pro), json={"allow_client_series_cancel": True})

    assert response.status_code == 200 and response.get_json()["allow_client_series_cancel"] is True
    refused = client.put("/settings", headers=auth_headers(pro), json={"allow_client_series_cancel": "yes"})
    assert refused.status_code == 422
