"""Profile function: the logged-in account (/me), its booking settings and public professional pages."""

from flask import Blueprint

from shared.accounts import schemas
from shared.accounts import service as accounts
from shared.accounts.common import Origin
from shared.db import unit_of_work
from shared.http import (
    accepted,
    client_address,
    create_app,
    current_principal,
    current_request_id,
    dump,
    optional_auth,
    parse_body,
    require_professional,
)
from shared.privacy import closure
from shared.privacy import schemas as privacy_schemas

bp = Blueprint("profile", __name__)



def _origin() -> Origin:
    return Origin(client_address(), current_request_id())


@bp.get("/me")
@optional_auth
def get_me():
    """The logged-in user and, for a professional, the profile."""
    principal = current_principal()  # 401 without a token
    with unit_of_work() as uow:
        return dump(schemas.MeRead, accounts.get_me(uow, user_id=principal.user_id))


@bp.post("/me/email-verification")
@require_professional
def resend_email_verification():
    """Email the link that verifies the account's address again (until it is verified)."""
    principal = current_principal()
    with unit_of_work() as uow:
        accounts.resend_verification(uow, user_id=principal.user_id)
    return accepted({"detail": "A verification link is on its way to your email address."})


@bp.put("/me/profile")
@require_professional
def update_profile():
    """Change any of name, business_name, public_slug, timezone, phone and bio (fields left out are kept)."""
    profile_in = parse_body(schemas.ProfileUpdate)
    with unit_of_work() as uow:
        me = accounts.update_profile(uow, user_id=current_principal().user_id, profile_in=profile_in,
                                     origin=_origin())
        return dump(schemas.MeRead, me)


@bp.get("/settings")
@require_professional
def get_settings():
    """The professional's booking settings."""
    with unit_of_work() as uow:
        settings = accounts.get_settings(uow, professional_id=current_principal().professional_id)
        return dump(schemas.SettingsRead, settings)


@bp.put("/settings")
@require_professional
def update_settings():
    """Merge the given settings into the professional's (fields left out keep their value)."""
    settings_in = parse_body(schemas.SettingsUpdate)
    principal = current_principal()
    with unit_of_work() as uow:
        settings = accounts.update_settings(uow, professional_id=principal.professional_id,
                                            settings_in=settings_in, actor_user_id=principal.user_id,
                                            origin=_origin())
        return dump(schemas.SettingsRead, settings)


@bp.get("/professionals/<slug>/public")
def public_profile(slug: str):
    """A professional's public page: public fields and active services (no login)."""
    with unit_of_work() as uow:
        return dump(schemas.PublicProfileRead, accounts.public_profile(uow, slug=slug))


@bp.delete("/me")
@require_professional
def close_account():
    """Close the professional's account: every client erased (export them first), the account switched off."""
    close_in = parse_body(privacy_schemas.AccountClose)
    principal = current_principal()
    with unit_of_work() as uow:
        return dump(privacy_schemas.AccountClosureRead,
                    closure.close_account(uow, professional_id=principal.professional_id,
                                          confirm=close_in["confirm"], actor_user_id=principal.user_id,
                                          origin=_origin()))


app = create_app("profile", bp)
