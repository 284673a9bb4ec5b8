"""Account services: register, log in, refresh, log out, reset passwords, activate and deactivate accounts.

Profile and settings services live in shared.accounts.profile and are re-exported here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update

from shared import linktokens, ratelimit
from shared.accounts import lockout, refresh, slugs, verification
from shared.accounts.common import NO_ORIGIN, Origin, insert_unique, is_active, normalize_email, record
from shared.accounts.common import user_by_email as _user_by_email
from shared.accounts.passwords import (
    hash_password,
    needs_rehash,
    validate_password,
    verify_dummy,
    verify_password,
)
from shared.accounts.profile import (  # noqa: F401  (the profile services are part of this API)
    get_me,
    get_settings,
    public_profile,
    update_profile,
    update_settings,
)
from shared.accounts.tokens import issue_access_token, revocation_instant
from shared.errors import (
    BadRequest,
    Conflict,
    Gone,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    Unauthenticated,
)
from shared.models import PasswordReset, Professional, ProfessionalSettings, PublicSlug, User, UserRole
from shared.notifications import outbox

RESET_TOKEN_LIFETIME = dt.timedelta(hours=1)
SLUG_ATTEMPTS = 50

DUPLICATE_EMAIL = "An account with this email already exists."
SLUG_TAKEN = "This public slug is already taken."
BAD_CREDENTIALS = "Incorrect email or password."
INVALID_RESET = "This password reset link is not valid."
INVALID_VERIFICATION = "This verification link is not valid."


def _session_body(session, user: User) -> dict[str, Any]:
    professional = user.professional
    access, expires_in = issue_access_token(user_id=user.id, role=user.role.value,
                                            professional_id=professional.id if professional else None)
    return {"access_token": access, "refresh_token": refresh.issue(session, user_id=user.id),
            "token_type": "Bearer", "expires_in": expires_in, "user": user, "professional": professional}


def _add_professional(session, user: User, business_name: str, requested_slug: str | None,
                      timezone: str) -> Professional:
    """Insert the profile with the requested slug (409 if taken) or a derived one (suffixed until free).

    A slug is taken when any professional has ever had it (public_slugs), not only when it is current.
    """
    if requested_slug is not None:
        candidates = [requested_slug]
    else:
        base = slugs.slugify(business_name)
        taken = set(session.scalars(select(PublicSlug.slug).where(
            (PublicSlug.slug == base) | PublicSlug.slug.like(f"{base}-%"))))
        candidates = [s for s in (slugs.with_suffix(base, n) for n in range(1, len(taken) + SLUG_ATTEMPTS))
                      if s not in taken][:SLUG_ATTEMPTS]
    for slug in candidates:
        professional = Professional(user_id=user.id, business_name=business_name, public_slug=slug,
                                    timezone=timezone)
        # A concurrent registration may take the slug between the look-up and the insert: try the next.
        if insert_unique(session, professional, *slugs.TAKEN_CONSTRAINTS):
            return professional
    raise Conflict(SLUG_TAKEN, errors={"public_slug": [SLUG_TAKEN]})


def register(uow, *, registration_in: dict[str, Any], origin: Origin = NO_ORIGIN) -> dict[str, Any]:
    """Create user, professional profile and default settings in one transaction; log the user in."""
    ratelimit.hit("register", origin.limit_key)
    data = registration_in
    validate_password(data["password"], email=data["email"], name=data["name"])
    session = uow.session
    email = normalize_email(data["email"])
    user = User(email=email, password_hash=hash_password(data["password"]), name=data["name"],
                role=UserRole.professional)
    if _user_by_email(session, email) is not None or not insert_unique(session, user, "uq_users_email"):
        raise Conflict(DUPLICATE_EMAIL, errors={"email": [DUPLICATE_EMAIL]})
    professional = _add_professional(session, user, data["business_name"], data.get("public_slug"),
                                     data.get("timezone") or "Europe/Madrid")
    session.add(ProfessionalSettings(professional_id=professional.id))
    session.flush()
    session.refresh(professional)
    _send_verification(session, user)
    record(session, "user.registered", origin, actor_user_id=user.id, professional_id=professional.id,
           entity_type="user", entity_id=user.id, metadata={"public_slug": professional.public_slug})
    body = _session_body(session, user)
    uow.commit()
    return body


def authenticate(uow, *, email: str, password: str, origin: Origin = NO_ORIGIN) -> dict[str, Any]:
    """Log in: tokens for the right password of an active account, else one 401 for every failure."""
    ratelimit.hit("login", origin.limit_key)
    email = normalize_email(email)
    lockout.check(email, origin.limit_key)
    session = uow.session
    user = _user_by_email(session, email)
    # An unknown email costs the same Argon2 verification as a known one: timing tells nothing.
    matches = verify_password(user.password_hash, password) if user else verify_dummy(password)
    if user is None or not matches or not is_active(user):
        lockout.record_failure(email, origin.limit_key)
        record(session, "auth.login_failed", origin, entity_type="user", entity_id=user.id if user else None,
               metadata={"reason": "bad_credentials" if not matches else "inactive_account"})
        uow.commit()
        raise Unauthenticated(BAD_CREDENTIALS)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = dt.datetime.now(dt.UTC)
    record(session, "auth.login_succeeded", origin, actor_user_id=user.id,
           professional_id=user.professional.id if user.professional else None,
           entity_type="user", entity_id=user.id)
    body = _session_body(session, user)
    uow.commit()
    lockout.record_success(email, origin.limit_key)
    return body


def refresh_session(uow, *, refresh_token: str, origin: Origin = NO_ORIGIN) -> dict[str, Any]:
    """Trade a refresh token for a new access token and its successor refresh token."""
    ratelimit.hit("refresh", origin.limit_key)
    session = uow.session
    rotation = refresh.rotate(session, refresh_token)
    if rotation.reused:
        end_access_tokens(session, rotation.user_id)  # whoever holds the copy has access tokens too
        record(session, "auth.refresh_token_reused", origin, entity_type="user", entity_id=rotation.user_id)
        uow.commit()  # the family stays revoked although the request fails
        raise Unauthenticated("This refresh token was already used; its session is revoked. Log in again.")
    user = session.get(User, rotation.user_id) if rotation.token else None
    if user is None or not is_active(user):
        raise Unauthenticated("The refresh token is invalid or expired; log in again.")
    professional = user.professional
    access, expires_in = issue_access_token(user_id=user.id, role=user.role.value,
                                            professional_id=professional.id if professional else None)
    uow.commit()
    return {"access_token": access, "refresh_token": rotation.token, "token_type": "Bearer",
            "expires_in": expires_in}


def end_access_tokens(session, user_id: int) -> None:
    """Every access token the user holds stops working now (they are checked on each request)."""
    session.execute(update(User).where(User.id == user_id)
                    .values(sessions_valid_after=revocation_instant(dt.datetime.now(dt.UTC))))


def logout(uow, *, refresh_token: str) -> None:
    """Revoke the refresh token's whole family and end the user's access tokens; an unknown token is not
    an error."""
    user_id = refresh.revoke_by_token(uow.session, refresh_token)
    if user_id is not None:
        end_access_tokens(uow.session, user_id)
    uow.commit()


def forgot_password(*, email: str, origin: Origin = NO_ORIGIN) -> None:
    """Queue the reset for a background job and return: the same work whether the account exists or not,
    so the answer's timing says nothing about it (start_password_reset does the rest)."""
    ratelimit.hit("forgot_password", origin.limit_key)
    from shared.jobs.tasks import start_password_reset as job

    try:
        job(normalize_email(email), origin.ip, origin.request_id)
    except Exception as exc:  # the queue is down: say so, for every email alike
        raise ServiceUnavailable("Password reset is unavailable right now; try again shortly.") from exc


def start_password_reset(uow, *, email: str, origin: Origin = NO_ORIGIN) -> None:
    """For an active account, store a one-hour reset token and queue the email; silent otherwise."""
    session = uow.session
    user = _user_by_email(session, email)
    if user is None or not is_active(user):
        return
    try:
        ratelimit.hit("reset_emails_per_account", str(user.id))
    except RateLimited:
        return
    _token, nonce, token_hash = linktokens.new_token("password_reset")
    row = PasswordReset(user_id=user.id, token_hash=token_hash, token_nonce=nonce,
                        expires_at=dt.datetime.now(dt.UTC) + RESET_TOKEN_LIFETIME)
    session.add(row)
    session.flush()
    outbox.enqueue(session, type="password_reset", recipient=user.email, user_id=user.id,
                   payload={"password_reset_token_id": row.id})
    record(session, "auth.password_reset_requested", origin, actor_user_id=user.id, entity_type="user",
           entity_id=user.id)
    uow.commit()


def _usable_reset_token(session, token: str, now: dt.datetime, *,
                        lock: bool) -> tuple[PasswordReset, User]:
    """The reset token's row and its user; BadRequest when unknown, Gone when used, expired or void."""
    row = None
    if linktokens.looks_like_token(token):
        query = select(PasswordReset).where(
            PasswordReset.token_hash == linktokens.hash_token(token))
        row = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if row is None:
        raise BadRequest(INVALID_RESET)
    if row.used_at is not None:
        raise Gone("This password reset link has already been used. Request a new one.")
    if row.expires_at <= now:
        raise Gone("This password reset link has expired. Request a new one.")
    user = session.get(User, row.user_id)
    if not is_active(user):
        raise Gone("This password reset link is no longer valid.")
    return row, user


def check_reset_token(uow, *, token: str) -> None:
    """Whether a reset link can still be used (the page asks before showing its form); raises as above."""
    _usable_reset_token(uow.session, token, dt.datetime.now(dt.UTC), lock=False)


def reset_password(uow, *, token: str, password: str, origin: Origin = NO_ORIGIN) -> None:
    """Set a new password with a reset token (single use), and end every session of the account."""
    ratelimit.hit("reset_password", origin.limit_key)
    session = uow.session
    now = dt.datetime.now(dt.UTC)
    row, user = _usable_reset_token(session, token, now, lock=True)
    validate_password(password, email=user.email, name=user.name)
    user.password_hash = hash_password(password)
    # This token and any other outstanding one for the account are spent.
    session.execute(update(PasswordReset).where(
        PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None)).values(used_at=now))
    refresh.revoke_all_for_user(session, user.id)
    end_access_tokens(session, user.id)
    record(session, "auth.password_reset_completed", origin, actor_user_id=user.id, entity_type="user",
           entity_id=user.id)
    uow.commit()
    lockout.clear(user.email)


def set_active(uow, *, user_id: int, is_active: bool, actor_user_id: int | None = None,
               origin: Origin = NO_ORIGIN) -> User:
    """Activate or deactivate an account (and its profile); deactivation revokes its refresh tokens.

    Either way the access tokens issued before end at once, so a reactivation does not revive them.
    """
    session = uow.session
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    user.is_active = is_active
    if user.professional is not None:
        user.professional.is_active = is_active
    if not is_active:
        refresh.revoke_all_for_user(session, user.id)
    end_access_tokens(session, user.id)
    record(session, "user.activated" if is_active else "user.deactivated", origin,
           actor_user_id=actor_user_id, professional_id=user.professional.id if user.professional else None,
           entity_type="user", entity_id=user.id)
    session.flush()
    uow.commit()
    return user


def deactivate_user(uow, *, user_id: int, actor_user_id: int | None = None,
                    origin: Origin = NO_ORIGIN) -> User:
    """Deactivate an account: set_active(..., is_active=False)."""
    return set_active(uow, user_id=user_id, is_active=False, actor_user_id=actor_user_id, origin=origin)


def _send_verification(session, user: User) -> None:
    expires = verification.new_expiry(dt.datetime.now(dt.UTC))
    outbox.enqueue(session, type="email_verification", recipient=user.email, user_id=user.id,
                   payload={"expires": expires})


def resend_verification(uow, *, user_id: int) -> None:
    """Email the verification link again (rate limited per account); 409 once the address is verified."""
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    if user.email_verified_at is not None:
        raise Conflict("This email address is already verified.")
    ratelimit.hit("email_verification", str(user.id),
                  detail="Too many verification emails for this account; try again later.")
    _send_verification(uow.session, user)
    uow.commit()


def _verification_account(session, token: str) -> User:
    """The account a verification token was made for; BadRequest when forged or stale, Gone when expired
    (a verified account's token stays usable: repeating the link is harmless)."""
    parsed = verification.parse_token(token)
    user = session.get(User, parsed[0]) if parsed else None
    if user is None or not verification.matches(parsed[2], user.id, user.email, parsed[1]):
        raise BadRequest(INVALID_VERIFICATION)
    if user.email_verified_at is None and parsed[1] < dt.datetime.now(dt.UTC).timestamp():
        raise Gone("This verification link has expired. Ask for a new one from your account.")
    return user


def check_verification_token(uow, *, token: str) -> None:
    """Whether a verification link can be used (the page asks before showing its button); raises as above."""
    _verification_account(uow.session, token)


def verify_email(uow, *, token: str, origin: Origin = NO_ORIGIN) -> None:
    """Mark the account's email verified with the token from the link (repeating it is harmless)."""
    user = _verification_account(uow.session, token)
    if user.email_verified_at is not None:
        return
    user.email_verified_at = dt.datetime.now(dt.UTC)
    record(uow.session, "user.email_verified", origin, actor_user_id=user.id, entity_type="user",
           entity_id=user.id)
    uow.commit()


def create_admin(uow, *, email: str, password: str, name: str = "Administrator") -> User:
    """Create an operator account; Conflict if the email is taken."""
    validate_password(password, email=email, name=name)
    session = uow.session
    user = User(email=normalize_email(email), password_hash=hash_password(password), name=name,
                role=UserRole.admin)
    if _user_by_email(session, email) is not None or not insert_unique(session, user, "uq_users_email"):
        raise Conflict(DUPLICATE_EMAIL)
    record(session, "user.admin_created", NO_ORIGIN, entity_type="user", entity_id=user.id)
    uow.commit()
    return user
