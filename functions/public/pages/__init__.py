"""Pages of the public function: the booking page, the client's manage page, password reset, and the
professional's accept/decline page; every e-mail link lands on one of them (shared.notifications.links)."""

from flask import Blueprint, request, send_from_directory

from shared.http.problems import handle_exception
from shared.notifications.render import templates_dir
from shared.pages import render

bp = Blueprint("pages", __name__)
ASSET_MAX_AGE = 3600


@bp.errorhandler(Exception)
def _page_error(exc: Exception):
    return render.error_page(exc)


@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def _unknown_path(exc):
    if render.is_page_path(request.path):
        return render.error_page(exc)
    return handle_exception(exc)


@bp.get("/assets/<any('agenda.css', 'agenda.js'):name>")
def asset(name: str):
    """The pages' only stylesheet and script (no inline code, nothing from another host)."""
    response = send_from_directory(templates_dir() / "pages" / "assets", name, max_age=ASSET_MAX_AGE)
    response.headers["Cache-Control"] = f"public, max-age={ASSET_MAX_AGE}"
    return response


from . import account, booking, confirm, manage, requests  # noqa: E402,F401  (their routes join bp)
