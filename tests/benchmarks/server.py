"""The cold-start baseline the benchmarks compare each function with."""


def bare_app(environ, start_response):
    """What the interpreter, gunicorn and its fork cost before any of Agenda."""
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
