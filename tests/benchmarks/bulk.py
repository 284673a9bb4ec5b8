"""100,000 appointments for the reminder sweep, written by set-based SQL (INSERT ... SELECT generate_series).

1,000 professionals with 10 clients and 100 appointments each, one hour long, spread evenly over 60 days
back and 60 days ahead (a professional's appointments are 28.8 hours apart, so the exclusion constraint
holds). A tenth are cancelled (spread evenly over time); the others are completed in the past and
pending (a tenth) or confirmed ahead. Reminders are set 1 h, 24 h or 48 h ahead by professional, and one
professional in 20 has e-mail notifications off.
"""

from __future__ import annotations

import datetime as dt

PROFESSIONALS = 1000
PER_PROFESSIONAL = 100
CLIENTS_PER_PROFESSIONAL = 10
SPREAD = dt.timedelta(days=120)

STATEMENTS = [
    """
    INSERT INTO users (email, password_hash, name)
    SELECT format('sweep%s@bench.example', g), 'not-a-hash', format('Sweep %s', g)
    FROM generate_series(1, :professionals) AS g
    """,
    """
    INSERT INTO professionals (user_id, business_name, public_slug)
    SELECT id, 'Sweep practice ' || id, 'sweep-' || id FROM users WHERE email LIKE 'sweep%@bench.example'
    """,
    """
    INSERT INTO professional_settings (professional_id, reminder_time_before_appointment_minutes,
                                       email_notification_enabled)
    SELECT id, (ARRAY[60, 1440, 2880])[1 + id % 3], id % 20 <> 0
    FROM professionals WHERE public_slug LIKE 'sweep-%'
    """,
    """
    INSERT INTO services (professional_id, name, duration_minutes, price)
    SELECT id, 'Session', 60, 50 FROM professionals WHERE public_slug LIKE 'sweep-%'
    """,
    """
    INSERT INTO clients (professional_id, name, email)
    SELECT p.id, 'Client ' || c, format('client%s-%s@bench.example', c, p.id)
    FROM professionals AS p CROSS JOIN generate_series(0, :clients - 1) AS c
    WHERE p.public_slug LIKE 'sweep-%'
    """,
    """
    WITH pros AS (
        SELECT p.id, row_number() OVER (ORDER BY p.id) - 1 AS n, s.id AS service_id
        FROM professionals AS p JOIN services AS s ON s.professional_id = p.id
        WHERE p.public_slug LIKE 'sweep-%'
    ), planned AS (
        SELECT pros.id AS professional_id, pros.service_id, pros.n, k,
               date_trunc('minute', CAST(:first_start AS timestamptz)
                                    + (pros.n::float8 / :professionals + k) * CAST(:spacing AS interval))
                   AS start
        FROM pros CROSS JOIN generate_series(0, :per_professional - 1) AS k
    )
    INSERT INTO appointments (professional_id, client_id, service_id, start_datetime, end_datetime, status,
                              cancelled_at)
    SELECT planned.professional_id, c.id, planned.service_id, planned.start,
           planned.start + interval '60 minutes',
           CASE WHEN (planned.k + planned.n) % 10 = 0 THEN 'cancelled_by_client'
                WHEN planned.start < CAST(:now AS timestamptz) THEN 'completed'
                WHEN (planned.k + planned.n) % 10 = 1 THEN 'pending'
                ELSE 'confirmed' END::appointment_status,
           CASE WHEN (planned.k + planned.n) % 10 = 0 THEN CAST(:now AS timestamptz) END
    FROM planned
    JOIN clients AS c ON c.professional_id = planned.professional_id
     AND c.email = format('client%s-%s@bench.example', planned.k % :clients, planned.professional_id)
    """,
]


def load(engine, now: dt.datetime) -> int:
    """Write the rows in one transaction, ANALYZE (as autovacuum would soon), return the appointment count."""
    from sqlalchemy import text

    params = {"professionals": PROFESSIONALS, "per_professional": PER_PROFESSIONAL,
              "clients": CLIENTS_PER_PROFESSIONAL, "first_start": now - SPREAD / 2,
              "spacing": SPREAD / PER_PROFESSIONAL, "now": now}
    with engine.begin() as connection:
        for statement in STATEMENTS:
            names = [name for name in params if f":{name}" in statement]
            connection.execute(text(statement), {name: params[name] for name in names})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))
        return connection.scalar(text("SELECT count(*) FROM appointments WHERE professional_id IN "
                                      "(SELECT id FROM professionals WHERE public_slug LIKE 'sweep-%')"))
