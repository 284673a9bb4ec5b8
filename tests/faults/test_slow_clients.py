"""Slow clients: connections that never finish sending their request do not make `make run`'s gateway
unavailable to everyone else (it serves with threaded workers)."""

from __future__ import annotations

import socket

import pytest

# More stalled connections than `make run` has workers (2): each would have held one sync worker.
STALLED = 4


@pytest.fixture
def stalled_connections():
    """Clients that sent half a request line and then nothing."""
    opened: list[socket.socket] = []

    def open_to(port: int) -> None:
        for _ in range(STALLED):
            conn = socket.create_connection(("127.0.0.1", port))
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            opened.append(conn)

    yield open_to
    for conn in opened:
        conn.close()


def test_stalled_clients_do_not_keep_others_from_being_served(gateway_server, stalled_connections, db_url):
    server = gateway_server(env={})

    stalled_connections(server.port)

    with server.client(timeout=10) as client:  # a liveness bound: the gateway answers, or this raises
        assert [client.get("/health").status_code for _ in range(3)] == [200] * 3
