"""Entry point of every function image: gunicorn serves `index:app`, the function's own Flask app."""

from function.handler import app

__all__ = ["app"]
