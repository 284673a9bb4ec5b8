"""Load generator, run in its own process: phases of HTTP requests to 127.0.0.1, each timed.

Input (JSON on stdin): {"port": int, "first_source": int, "phases": [{"label": str, "concurrency": int,
"all_at_once": bool, "requests": [[method, path, headers, body or null], ...]}, ...]}.
Output (JSON on stdout): [{"label", "wall", "statuses": [...], "latencies": [...], "errors": [...]}, ...],
in request order; status 0 marks a request that got no HTTP answer (its error is listed).

Every request opens its own connection (gunicorn's sync workers close each one anyway) from its own
loopback address, 127.x.y.z: the server sees one client address per request, as if each came from a
different visitor, so the per-address rate limits never answer instead of the code being measured.
`all_at_once` connects every request first, then releases them together (one thread each).
"""

from __future__ import annotations

import http.client
import itertools
import json
import sys
import threading
import time

TIMEOUT_SECONDS = 60
# 127.0.0.1 is where the server listens; sources start further up the 127/8 block.
SOURCES_PER_BLOCK = 254 * 256


def source_address(n: int) -> str:
    """The n-th source address: 127.1.0.1, 127.1.0.2, ..., never 127.0.x.x."""
    block, rest = divmod(n, SOURCES_PER_BLOCK)
    return f"127.{1 + block % 254}.{rest // 254}.{1 + rest % 254}"


class Phase:
    def __init__(self, port: int, spec: dict, sources: itertools.count):
        self.port = port
        self.label = spec["label"]
        self.requests = spec["requests"]
        self.concurrency = max(1, min(spec["concurrency"], len(self.requests)))
        self.all_at_once = spec.get("all_at_once", False)
        self.sources = sources
        self.statuses = [0] * len(self.requests)
        self.latencies = [0.0] * len(self.requests)
        self.errors: list[str] = []

    def _connect(self) -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT_SECONDS,
                                                source_address=(source_address(next(self.sources)), 0))
        return connection

    def _send(self, index: int, connection: http.client.HTTPConnection, started: float) -> None:
        method, path, headers, body = self.requests[index]
        try:
            if connection.sock is None:
                connection.connect()
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            self.statuses[index] = response.status
        except Exception as error:  # reported, never hidden: status 0 and the message
            self.errors.append(f"{index}: {type(error).__name__}: {error}")
        finally:
            self.latencies[index] = time.perf_counter() - started
            connection.close()

    def run(self) -> dict:
        if self.all_at_once:
            wall = self._run_all_at_once()
        else:
            wall = self._run_pool()
        return {"label": self.label, "wall": wall, "statuses": self.statuses, "latencies": self.latencies,
                "errors": self.errors}

    def _run_pool(self) -> float:
        next_index = itertools.count()  # next() on a count is atomic under the GIL
        total = len(self.requests)
        barrier = threading.Barrier(self.concurrency + 1)

        def worker() -> None:
            barrier.wait()
            while (index := next(next_index)) < total:
                self._send(index, self._connect(), time.perf_counter())

        threads = [threading.Thread(target=worker) for _ in range(self.concurrency)]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started

    def _run_all_at_once(self) -> float:
        barrier = threading.Barrier(len(self.requests) + 1)

        def worker(index: int) -> None:
            connection = self._connect()
            try:
                connection.connect()
            except OSError as error:
                self.errors.append(f"{index}: connect: {error}")
            barrier.wait()
            self._send(index, connection, time.perf_counter())

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(self.requests))]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started


def main() -> int:
    job = json.load(sys.stdin)
    sources = itertools.count(job.get("first_source", 0))
    results = [Phase(job["port"], spec, sources).run() for spec in job["phases"]]
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
