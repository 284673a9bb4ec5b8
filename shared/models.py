"""Typed SQLAlchemy models for every table; the rules that must never break live in the database."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    FetchedValue,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
    and_,
    exists,
    func,
    or_,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, INET, JSONB, UUID, ExcludeConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.secretbox import EncryptedText

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UserRole(enum.StrEnum):
    professional = "professional"
    admin = "admin"


class AppointmentStatus(enum.StrEnum):
    pending = "pending"
    confirmed = "confirmed"
    completed = "completed"
    cancelled_by_professional = "cancelled_by_professional"
    cancelled_by_client = "cancelled_by_client"
    # A public booking waiting for the client to confirm it from their email (until hold_expires_at), and
    # one nobody confirmed in time: it blocks nothing and is no cancellation.
    held = "held"
    expired = "expired"


ACTIVE_STATUSES = (AppointmentStatus.pending, AppointmentStatus.confirmed)
ACTIVE_STATUS_SQL = "status IN ('pending', 'confirmed')"
# What the exclusion constraint keeps apart: the active appointments and the holds (a hold past its expiry
# still counts there until it is marked expired, which every command taking a time does first).
BLOCKING_STATUS_SQL = "status IN ('pending', 'confirmed', 'held')"


class DefaultAppointmentStatus(enum.StrEnum):
    pending = "pending"
    confirmed = "confirmed"


class RequestStatus(enum.StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"
    expired = "expired"


class NotificationStatus(enum.StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    skipped = "skipped"  # no longer relevant when its turn came (e.g. a reminder for a cancelled appointment)


class LinkType(enum.StrEnum):
    """What a client's link points to: an appointment (to see, cancel or reschedule it) or a request."""

    appointment = "appointment"
    appointment_request = "appointment_request"


class NotificationChannel(enum.StrEnum):
    email = "email"
    sms = "sms"
    whatsapp = "whatsapp"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda e: [m.value for m in e], validate_strings=True)


def _created() -> Mapped[dt.datetime]:
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


def _updated() -> Mapped[dt.datetime]:
    # Kept current by the set_updated_at trigger on every UPDATE; FetchedValue tells the ORM so, and it
    # reloads the value (when read) after flushing an UPDATE instead of keeping the old one.
    return mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now(),
                         server_onupdate=FetchedValue())


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("email = lower(btrim(email))", name="email_normalized"),
        CheckConstraint("length(email) BETWEEN 3 AND 254", name="email_length"),
        Index("ix_users_role_is_active", "role", "is_active"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[UserRole] = mapped_column(_enum(UserRole, "user_role"), nullable=False,
                                           server_default=UserRole.professional.value)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # Access tokens issued before this instant are refused (logout, password reset, deactivation, ...).
    sessions_valid_after: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # When the user opened the link emailed to them; until then no email goes to their clients.
    email_verified_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()

    professional: Mapped[Professional | None] = relationship(back_populates="user", uselist=False)


class Professional(Base):
    __tablename__ = "professionals"
    __table_args__ = (
        CheckConstraint("public_slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="public_slug_format"),
        CheckConstraint("length(public_slug) BETWEEN 3 AND 80", name="public_slug_length"),
        Index("ix_professionals_business_name", "business_name"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                                         unique=True)
    business_name: Mapped[str] = mapped_column(String(200), nullable=False)
    public_slug: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False, server_default="Europe/Madrid")
    phone: Mapped[str | None] = mapped_column(String(40))
    bio: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()

    user: Mapped[User] = relationship(back_populates="professional")
    settings: Mapped[ProfessionalSettings] = relationship(back_populates="professional", uselist=False)


class PublicSlug(Base):
    """Every public slug a professional has had, the current one included: theirs for good."""

    __tablename__ = "public_slugs"
    __table_args__ = (
        CheckConstraint("slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'", name="slug_format"),
        Index("ix_public_slugs_professional_id", "professional_id"),
    )

    slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id", ondelete="CASCADE"),
                                                 nullable=False)
    created_at: Mapped[dt.datetime] = _created()


class ProfessionalSettings(Base):
    __tablename__ = "professional_settings"
    __table_args__ = (
        CheckConstraint("booking_advance_days BETWEEN 1 AND 365", name="booking_advance_days_range"),
        CheckConstraint("cancellation_policy_hours BETWEEN 0 AND 720",
                        name="cancellation_policy_hours_range"),
        CheckConstraint("reminder_time_before_appointment_minutes BETWEEN 0 AND 10080",
                        name="reminder_minutes_range"),
        CheckConstraint("slot_interval_minutes IS NULL OR slot_interval_minutes BETWEEN 5 AND 720",
                        name="slot_interval_range"),
        CheckConstraint("buffer_minutes BETWEEN 0 AND 240", name="buffer_minutes_range"),
        CheckConstraint("minimum_notice_minutes BETWEEN 0 AND 43200", name="minimum_notice_range"),
        CheckConstraint("max_pending_public_bookings BETWEEN 1 AND 50", name="max_pending_public_range"),
        CheckConstraint("locale IN ('es', 'en')", name="locale_supported"),
        CheckConstraint("booking_hold_minutes BETWEEN 5 AND 1440", name="booking_hold_minutes_range"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id", ondelete="CASCADE"),
                                                 nullable=False, unique=True)
    allow_public_booking: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    default_appointment_status: Mapped[DefaultAppointmentStatus] = mapped_column(
        _enum(DefaultAppointmentStatus, "default_appointment_status"), nullable=False,
        server_default=DefaultAppointmentStatus.confirmed.value)
    booking_advance_days: Mapped[int] = mapped_column(Integer, nullable=False, server_default="60")
    cancellation_policy_hours: Mapped[int] = mapped_column(Integer, nullable=False, server_default="24")
    reminder_time_before_appointment_minutes: Mapped[int] = mapped_column(Integer, nullable=False,
                                                                          server_default="1440")
    email_notification_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False,
                                                             server_default=text("true"))
    slot_interval_minutes: Mapped[int | None] = mapped_column(Integer)
    buffer_minutes: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    minimum_notice_minutes: Mapped[int] = mapped_column(Integer, nullable=False, server_default="120")
    max_pending_public_bookings: Mapped[int] = mapped_column(Integer, nullable=False, server_default="3")
    locale: Mapped[str] = mapped_column(String(5), nullable=False, server_default="es")
    # Sites that may show the booking page in a frame (its CSP frame-ancestors); empty: none may.
    embed_origins: Mapped[list[str]] = mapped_column(ARRAY(String(200)), nullable=False,
                                                     server_default=text("'{}'::varchar[]"))
    # A public booking holds its slot until the client confirms it from their email, for so many minutes.
    require_email_confirmation: Mapped[bool] = mapped_column(Boolean, nullable=False,
                                                             server_default=text("true"))
    booking_hold_minutes: Mapped[int] = mapped_column(Integer, nullable=False, server_default="30")
    # Whether a client's link may cancel the rest of a weekly series at once (else one occurrence at a time).
    allow_client_series_cancel: Mapped[bool] = mapped_column(Boolean, nullable=False,
                                                             server_default=text("false"))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()

    professional: Mapped[Professional] = relationship(back_populates="settings")


class Service(Base):
    __tablename__ = "services"
    __table_args__ = (
        UniqueConstraint("professional_id", "id"),
        CheckConstraint("duration_minutes BETWEEN 5 AND 720", name="duration_range"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
        Index("ix_services_professional_id_is_active", "professional_id", "is_active"),
        Index("ix_services_professional_id_name", "professional_id", "name"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id", ondelete="CASCADE"),
                                                 nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False)
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2), nullable=False, server_default="0")
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()


class Client(Base):
    __tablename__ = "clients"
    __table_args__ = (
        UniqueConstraint("professional_id", "id"),
        UniqueConstraint("professional_id", "email", postgresql_nulls_not_distinct=True),
        CheckConstraint("email = lower(btrim(email))", name="email_normalized"),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
        Index("ix_clients_name_trgm", "name", postgresql_using="gin",
              postgresql_ops={"name": "gin_trgm_ops"}),
        Index("ix_clients_email_trgm", "email", postgresql_using="gin",
              postgresql_ops={"email": "gin_trgm_ops"}),
        Index("ix_clients_professional_id_name", "professional_id", "name"),
        Index("ix_clients_professional_id_phone", "professional_id", "phone"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id", ondelete="CASCADE"),
                                                 nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(40))
    # The professional's private notes: only ciphertext reaches the database (shared.secretbox).
    notes: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()


class AvailabilityBlock(Base):
    __tablename__ = "availability_blocks"
    __table_args__ = (
        CheckConstraint("start_time < end_time", name="start_before_end"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint(
            "(is_recurring AND weekday IS NOT NULL AND specific_date IS NULL)"
            " OR (NOT is_recurring AND specific_date IS NOT NULL AND weekday IS NULL)",
            name="recurring_or_specific_date",
        ),
        Index("ix_availability_blocks_professional_id", "professional_id"),
        Index("uq_availability_blocks_recurring", "professional_id", "weekday", "start_time", "end_time",
              unique=True, postgresql_where=text("is_recurring")),
        Index("uq_availability_blocks_specific_date", "professional_id", "specific_date", "start_time",
              "end_time", unique=True, postgresql_where=text("NOT is_recurring")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id", ondelete="CASCADE"),
                                                 nullable=False)
    is_recurring: Mapped[bool] = mapped_column(Boolean, nullable=False)
    weekday: Mapped[int | None] = mapped_column(SmallInteger)  # 0 = Monday … 6 = Sunday
    specific_date: Mapped[dt.date | None] = mapped_column(Date)
    start_time: Mapped[dt.time] = mapped_column(Time, nullable=False)
    end_time: Mapped[dt.time] = mapped_column(Time, nullable=False)
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()


class TimeOff(Base):
    __tablename__ = "time_off"
    __table_args__ = (
        CheckConstraint("start_datetime < end_datetime", name="start_before_end"),
        Index("ix_time_off_professional_id_start_datetime", "professional_id", "start_datetime"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id", ondelete="CASCADE"),
                                                 nullable=False)
    start_datetime: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    end_datetime: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()


class AppointmentSeries(Base):
    """A weekly series: every `every_weeks` weeks at the local wall-clock time of `start_datetime` in
    `timezone`, `count` times or until the local date `until`. Each occurrence is an appointment row."""

    __tablename__ = "appointment_series"
    __table_args__ = (
        CheckConstraint("every_weeks BETWEEN 1 AND 4", name="every_weeks_range"),
        CheckConstraint("count IS NULL OR count BETWEEN 2 AND 52", name="count_range"),
        CheckConstraint("(count IS NULL) <> (until IS NULL)", name="count_or_until"),
        ForeignKeyConstraint(["professional_id", "client_id"], ["clients.professional_id", "clients.id"],
                             name="fk_appointment_series_client_same_professional",
                             ondelete="SET NULL (client_id)"),
        ForeignKeyConstraint(["professional_id", "service_id"], ["services.professional_id", "services.id"],
                             name="fk_appointment_series_service_same_professional", ondelete="RESTRICT"),
        Index("ix_appointment_series_professional_id", "professional_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id", ondelete="RESTRICT"),
                                                 nullable=False)
    client_id: Mapped[int | None] = mapped_column(BigInteger)
    service_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    every_weeks: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    count: Mapped[int | None] = mapped_column(SmallInteger)
    until: Mapped[dt.date | None] = mapped_column(Date)
    # The first occurrence of the pattern (booked or skipped); its local time in `timezone` is the series'.
    start_datetime: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    # The calendar invitation's SEQUENCE for the series as a whole (its UID: calendar.series_uid(id)).
    sequence: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        # Only the client is forgotten: the appointment stays the professional's.
        ForeignKeyConstraint(["professional_id", "client_id"], ["clients.professional_id", "clients.id"],
                             name="fk_appointments_client_same_professional",
                             ondelete="SET NULL (client_id)"),
        ForeignKeyConstraint(["professional_id", "service_id"], ["services.professional_id", "services.id"],
                             name="fk_appointments_service_same_professional", ondelete="RESTRICT"),
        CheckConstraint("start_datetime < end_datetime", name="start_before_end"),
        ExcludeConstraint(
            ("professional_id", "="),
            (text("tstzrange(start_datetime, end_datetime, '[)')"), "&&"),
            name="ex_appointments_no_overlap",
            using="gist",
            where=text(BLOCKING_STATUS_SQL),
        ),
        CheckConstraint("status <> 'held' OR hold_expires_at IS NOT NULL", name="held_until"),
        Index("ix_appointments_held_professional_start", "professional_id", "start_datetime",
              postgresql_where=text("status = 'held'")),
        Index("ix_appointments_active_professional_start", "professional_id", "start_datetime",
              postgresql_where=text(ACTIVE_STATUS_SQL)),
        Index("ix_appointments_active_start", "start_datetime", postgresql_where=text(ACTIVE_STATUS_SQL)),
        Index("ix_appointments_professional_id_start_datetime", "professional_id", "start_datetime"),
        Index("ix_appointments_professional_id_status_start_datetime", "professional_id", "status",
              text("start_datetime DESC")),
        Index("ix_appointments_client_id_start_datetime", "client_id", "start_datetime"),
        Index("ix_appointments_service_id_start_datetime", "service_id", "start_datetime"),
        CheckConstraint("(series_id IS NULL) = (recurrence_start IS NULL)", name="series_occurrence"),
        UniqueConstraint("series_id", "recurrence_start"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # RESTRICT: a professional with appointments is deactivated, never deleted with their history.
    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id", ondelete="RESTRICT"),
                                                 nullable=False)
    # NULL only once the client was deleted; every appointment is booked for a client.
    client_id: Mapped[int | None] = mapped_column(BigInteger)
    service_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    start_datetime: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    end_datetime: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    status: Mapped[AppointmentStatus] = mapped_column(_enum(AppointmentStatus, "appointment_status"),
                                                      nullable=False,
                                                      server_default=AppointmentStatus.pending.value)
    # The professional's private notes, encrypted at rest; never in an e-mail, log, audit row or payload.
    notes: Mapped[str | None] = mapped_column(EncryptedText)
    # What the client wrote when booking: shown to the professional, allowed in the professional's e-mails.
    client_comment: Mapped[str | None] = mapped_column(Text)
    created_from_public_link: Mapped[bool] = mapped_column(Boolean, nullable=False,
                                                           server_default=text("false"))
    # Bumped on every reschedule or cancellation: the calendar file's SEQUENCE.
    sequence: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # A held booking's deadline for the client's confirmation, and the client address (IPv6: its /64) it
    # came from, kept only while the hold is open (the limit on open holds per address counts it).
    hold_expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    hold_client_key: Mapped[str | None] = mapped_column(String(64))
    # The weekly series this appointment is an occurrence of (NULL: a single appointment), and the start it
    # has in the series' pattern, wherever it was moved since: its calendar RECURRENCE-ID.
    series_id: Mapped[int | None] = mapped_column(ForeignKey("appointment_series.id", ondelete="RESTRICT"))
    recurrence_start: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()

    client: Mapped[Client] = relationship(
        primaryjoin="and_(Appointment.client_id == Client.id,"
                    " Appointment.professional_id == Client.professional_id)",
        foreign_keys="[Appointment.client_id, Appointment.professional_id]", viewonly=True)
    service: Mapped[Service] = relationship(
        primaryjoin="and_(Appointment.service_id == Service.id,"
                    " Appointment.professional_id == Service.professional_id)",
        foreign_keys="[Appointment.service_id, Appointment.professional_id]", viewonly=True)


def takes_its_time(now):
    """The appointments that keep their time from others at `now`: the active ones, and the holds not yet
    expired (the slots, the overlap checks and the caps all read it through here)."""
    return or_(Appointment.status.in_(ACTIVE_STATUSES),
               and_(Appointment.status == AppointmentStatus.held, Appointment.hold_expires_at > now))


def lapsed_hold(now):
    """The holds past their expiry at `now` and not yet marked expired: they keep no time (takes_its_time),
    and a command taking their time, or the sweep, marks them (appointments.holds)."""
    return and_(Appointment.status == AppointmentStatus.held, Appointment.hold_expires_at <= now)


# The statuses of a public booking its client has not confirmed from their email (live or lapsed).
UNCONFIRMED_STATUSES = (AppointmentStatus.held, AppointmentStatus.expired)


def came_only_with_unconfirmed_bookings():
    """The clients the public page wrote down for bookings they never confirmed from their email: the row
    was written in the transaction of one of their holds (created_at is the transaction's time, theirs
    alike), nobody has changed it since, and they have no appointment but such holds. The address was
    never proved to be theirs: the professional's client list and the counts of clients leave them out,
    and retention deletes them. Confirming a booking, or a booking, change or note by the professional,
    makes them a client like any other."""
    held_with_it = exists().where(Appointment.client_id == Client.id,
                                  Appointment.status.in_(UNCONFIRMED_STATUSES),
                                  Appointment.created_at == Client.created_at)
    anything_else = exists().where(Appointment.client_id == Client.id,
                                   Appointment.status.not_in(UNCONFIRMED_STATUSES))
    return and_(Client.notes.is_(None), Client.updated_at == Client.created_at, held_with_it, ~anything_else)


class AppointmentRequest(Base):
    __tablename__ = "appointment_requests"
    __table_args__ = (
        ForeignKeyConstraint(["professional_id", "service_id"], ["services.professional_id", "services.id"],
                             name="fk_appointment_requests_service_same_professional"),
        CheckConstraint("requested_datetime < end_datetime", name="requested_before_end"),
        CheckConstraint("client_email = lower(btrim(client_email))", name="client_email_normalized"),
        Index("ix_appointment_requests_professional_id_status_requested", "professional_id",
              "status", "requested_datetime"),
        Index("ix_appointment_requests_professional_id_client_email", "professional_id", "client_email"),
        Index("ix_appointment_requests_pending_requested_datetime", "requested_datetime",
              postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id", ondelete="CASCADE"),
                                                 nullable=False)
    service_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    requested_datetime: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    end_datetime: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    client_name: Mapped[str] = mapped_column(String(200), nullable=False)
    client_email: Mapped[str] = mapped_column(String(254), nullable=False)
    client_phone: Mapped[str | None] = mapped_column(String(40))
    client_comment: Mapped[str | None] = mapped_column(Text)
    status: Mapped[RequestStatus] = mapped_column(_enum(RequestStatus, "request_status"), nullable=False,
                                                  server_default=RequestStatus.pending.value)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()


class PublicLink(Base):
    """A client's link to see, cancel or reschedule an appointment (or follow a request), by token."""

    __tablename__ = "public_links"
    __table_args__ = (
        CheckConstraint("(appointment_id IS NOT NULL) OR (appointment_request_id IS NOT NULL)",
                        name="points_somewhere"),
        CheckConstraint("octet_length(token_hash) = 32", name="token_hash_sha256"),
        # One live link per appointment: a replaced one stays, revoked.
        Index("uq_public_links_live_appointment_id", "appointment_id", unique=True,
              postgresql_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id", ondelete="CASCADE"),
                                                 nullable=False)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"))
    appointment_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment_requests.id", ondelete="CASCADE"))
    type: Mapped[LinkType] = mapped_column(_enum(LinkType, "link_type"), nullable=False)
    # Only the SHA-256 of the token is stored; the nonce lets the server re-derive it (HMAC with
    # LINK_SECRET) when an email is sent later, so a database dump alone yields no usable link.
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, unique=True)
    token_nonce: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()


class Notification(Base):
    """The outbox: written in the same transaction as the change that causes it, sent by a job."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name="sent_at_iff_sent"),
        Index("ix_notifications_unsent", "scheduled_for",
              postgresql_where=text("status IN ('pending', 'sending')")),
        Index("ix_notifications_professional_id_created_at", "professional_id", "created_at"),
        Index("ix_notifications_appointment_id", "appointment_id"),
        Index("ix_notifications_professional_id_sent_at", "professional_id", "sent_at"),
        Index("ix_notifications_status_sent_at", "status", text("sent_at DESC")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    professional_id: Mapped[int | None] = mapped_column(ForeignKey("professionals.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"))
    appointment_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointment_requests.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(Text, nullable=False)
    channel: Mapped[NotificationChannel] = mapped_column(
        _enum(NotificationChannel, "notification_channel"), nullable=False,
        server_default=NotificationChannel.email.value)
    recipient: Mapped[str] = mapped_column(Text, nullable=False)
    # Unique when set: one reminder per appointment and start, one of each kind per event.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    status: Mapped[NotificationStatus] = mapped_column(_enum(NotificationStatus, "notification_status"),
                                                       nullable=False,
                                                       server_default=NotificationStatus.pending.value)
    scheduled_for: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                       server_default=func.now())
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()


class AuditLog(Base):
    __tablename__ = "audit_logs"
    __table_args__ = (
        Index("ix_audit_logs_professional_id_created_at", "professional_id", "created_at"),
        Index("ix_audit_logs_user_id_created_at", "user_id", text("created_at DESC")),
        Index("ix_audit_logs_entity_type_entity_id", "entity_type", "entity_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    professional_id: Mapped[int | None] = mapped_column(ForeignKey("professionals.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(Text, nullable=False)
    entity_type: Mapped[str | None] = mapped_column(Text)
    entity_id: Mapped[int | None] = mapped_column(BigInteger)
    ip_address: Mapped[str | None] = mapped_column(INET)
    request_id: Mapped[str | None] = mapped_column(String(128))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, nullable=False,
                                                      server_default=text("'{}'::jsonb"))
    created_at: Mapped[dt.datetime] = _created()


class PasswordReset(Base):
    __tablename__ = "password_resets"
    __table_args__ = (
        CheckConstraint("octet_length(token_hash) = 32", name="token_hash_sha256"),
        Index("ix_password_resets_user_id_expires_at", "user_id", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, unique=True)
    # As for public links: the emailed token is re-derived from this nonce with LINK_SECRET.
    token_nonce: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _created()


class RefreshToken(Base):
    """One opaque refresh token (stored as SHA-256) in a rotation family; reuse revokes the family."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        CheckConstraint("octet_length(token_hash) = 32", name="token_hash_sha256"),
        Index("ix_refresh_tokens_family_id", "family_id"),
        Index("ix_refresh_tokens_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    family_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _created()


class CalendarSourceKind(enum.StrEnum):
    ics = "ics"
    caldav = "caldav"


class CalendarFeed(Base):
    """A professional's secret calendar feed URL: only the token's SHA-256 and its nonce are kept."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (
        CheckConstraint("octet_length(token_hash) = 32", name="token_hash_sha256"),
    )

    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id", ondelete="CASCADE"),
                                                 primary_key=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, nullable=False, unique=True)
    # The URL is re-derived from this nonce with LINK_SECRET (shared.linktokens) whenever it is shown.
    token_nonce: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    # Event titles carry the client's initials unless the professional turns full names on.
    show_client_names: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()

    professional: Mapped[Professional] = relationship()


class CalendarSource(Base):
    """One of the professional's own calendars (an ICS URL or a CalDAV calendar) read as busy time."""

    __tablename__ = "calendar_sources"
    __table_args__ = (
        CheckConstraint("length(url) BETWEEN 8 AND 2048", name="url_length"),
        CheckConstraint("busy_count >= 0", name="busy_count_not_negative"),
        CheckConstraint("kind = 'ics' OR (username IS NOT NULL AND password_encrypted IS NOT NULL)",
                        name="caldav_has_credentials"),
        Index("ix_calendar_sources_professional_id", "professional_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id", ondelete="CASCADE"),
                                                 nullable=False)
    kind: Mapped[CalendarSourceKind] = mapped_column(_enum(CalendarSourceKind, "calendar_source_kind"),
                                                     nullable=False)
    url: Mapped[str] = mapped_column(Text, nullable=False)
    username: Mapped[str | None] = mapped_column(String(254))
    # The CalDAV app password: plain text here, only ever ciphertext in the database (shared.secretbox).
    password: Mapped[str | None] = mapped_column("password_encrypted", EncryptedText)
    all_day_blocks: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("true"))
    # Validators of the last ICS answer, sent back as If-None-Match / If-Modified-Since.
    etag: Mapped[str | None] = mapped_column(String(400))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    # When the calendar's content was last read whole (not a 304): the window moves on, so it is read
    # whole again at least daily even when the server says nothing changed.
    content_read_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_synced_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    busy_count: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set when its busy time stopped being used (no good fetch for too long) and the professional was told.
    flagged_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[dt.datetime] = _created()
    updated_at: Mapped[dt.datetime] = _updated()


class CalendarBusyInterval(Base):
    """Busy time [start, end) read from a calendar source; replaced whole on every good fetch."""

    __tablename__ = "calendar_busy_intervals"
    __table_args__ = (
        CheckConstraint("start_datetime < end_datetime", name="start_before_end"),
        Index("ix_calendar_busy_intervals_professional_id_start_datetime", "professional_id",
              "start_datetime"),
        Index("ix_calendar_busy_intervals_source_id", "source_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("calendar_sources.id", ondelete="CASCADE"),
                                           nullable=False)
    professional_id: Mapped[int] = mapped_column(ForeignKey("professionals.id", ondelete="CASCADE"),
                                                 nullable=False)
    start_datetime: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    end_datetime: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)


TABLES_WITH_UPDATED_AT = tuple(
    t.name for t in Base.metadata.sorted_tables if "updated_at" in t.c
)
