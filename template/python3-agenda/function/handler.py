"""A function: expose `app`, the Flask app gunicorn serves behind of-watchdog."""

from flask import Blueprint

from shared.http import create_app

blueprint = Blueprint("example", __name__)


@blueprint.get("/example")
def example():
    """Say hello."""
    return {"message": "hello"}


app = create_app("example", blueprint)
