"""Functions as production runs them: faas-cli's build contexts, each under the real of-watchdog.

Settings (environment variables):
- FAAS_CLI, FWATCHDOG: the faas-cli and of-watchdog binaries (default ../shared/bin/faas-cli and
  ../shared/bin/fwatchdog beside the repository).
- RUNTIME_VENV: a virtual environment holding requirements/runtime.txt only, as the image does
  (default .data/runtime-venv; created on first use and again whenever that file changes).

A function runs from its image's /home/app (the build context's files the Dockerfile copies, minus its
.dockerignore), with the Dockerfile's ENV, the function's environment from openfaas/stack.yml, its
secrets as files and a read-only HOME. of-watchdog's metrics port (8081) is fixed, so one watchdog
runs at a time on a machine: each holds an exclusive lock on /tmp/agenda-fwatchdog.lock while it lives.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from shared.localdev.gateway import load_stack

REPO = Path(__file__).resolve().parents[2]
STACK = "openfaas/stack.yml"
# What `faas-cli build` reads, relative to the repository root where it runs.
BUILD_INPUTS = ("functions", "shared", "templates", "requirements", "template", "openfaas")
RUNTIME_REQUIREMENTS = REPO / "requirements" / "runtime.txt"
WATCHDOG_LOCK = Path("/tmp/agenda-fwatchdog.lock")
UPSTREAM = "127.0.0.1:5000"  # gunicorn's address in the image (GUNICORN_CMD_ARGS, upstream_url)
READY_PATH = "/_/ready"
START_LIMIT_SECONDS = 90


def faas_cli() -> Path:
    return _binary("FAAS_CLI", "faas-cli")


def fwatchdog() -> Path:
    return _binary("FWATCHDOG", "fwatchdog")


def _binary(setting: str, name: str) -> Path:
    path = Path(os.environ.get(setting) or REPO.parent / "shared" / "bin" / name)
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise RuntimeError(f"{setting}: no executable {name} at {path} (set {setting} to where it is)")
    return path


_held: set[Path] = set()


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` between processes; taking it twice in one process is a mistake."""
    if path in _held:
        raise RuntimeError(f"{path} is already held by this process: one watchdog at a time")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        _held.add(path)
        try:
            yield
        finally:
            _held.discard(path)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _end_with_parent() -> None:
    """In the child before exec: SIGTERM when the process that started it dies (Linux prctl)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def runtime_venv() -> Path:
    """The runtime-only virtual environment (RUNTIME_VENV), built when missing or out of date."""
    venv = Path(os.environ.get("RUNTIME_VENV") or REPO / ".data" / "runtime-venv")
    digest = hashlib.sha256(RUNTIME_REQUIREMENTS.read_bytes() + b"\n" + COMPILE_BYTECODE.encode()).hexdigest()
    stamp = venv / ".runtime-requirements"
    with _exclusive(venv.parent / f".{venv.name}.lock"):
        if stamp.is_file() and stamp.read_text() == digest:
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", "-r", str(RUNTIME_REQUIREMENTS)],
                       check=True, capture_output=True)
        # The image compiles the whole standard library; the interpreter here ships its -OO bytecode.
        compile_bytecode(venv, Path(sysconfig.get_path("purelib", vars={"base": str(venv)})))
        stamp.write_text(digest)
    return venv


# The Dockerfile's RUN line that compiles bytecode for PYTHONOPTIMIZE=2, after `python` and before the paths.
COMPILE_BYTECODE = "-OO -m compileall -q -j 0"


def compile_bytecode(venv: Path, *paths: Path) -> None:
    """What the image's `python -OO -m compileall` does to its site-packages and /home/app."""
    subprocess.run([str(venv / "bin" / "python"), *COMPILE_BYTECODE.split(), *map(str, paths)],
                   check=True, capture_output=True)


def _faas_cli(destination: Path, *arguments: str) -> str:
    """faas-cli run as from the repository root, in `destination`, which links to the repository's inputs
    (so that its build/ is not the repository's own, which another run may be using)."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in BUILD_INPUTS:
        if not (destination / name).exists():
            (destination / name).symlink_to(REPO / name)
    finished = subprocess.run([str(faas_cli()), *arguments, "-f", STACK], cwd=destination,
                              capture_output=True, text=True)
    if finished.returncode != 0:
        raise RuntimeError(f"faas-cli {' '.join(arguments)} failed:\n{finished.stdout}\n{finished.stderr}")
    return finished.stdout


def generate(destination: Path) -> list[dict]:
    """`faas-cli generate --api=openfaas.com/v1`: the Function objects faas-cli would deploy."""
    import yaml

    return [doc for doc in yaml.safe_load_all(_faas_cli(destination, "generate", "--api=openfaas.com/v1"))
            if doc]


def shrinkwrap(destination: Path) -> Path:
    """`faas-cli build --shrinkwrap -f openfaas/stack.yml`; the build directory (build/<function>/)."""
    _faas_cli(destination, "build", "--shrinkwrap")
    return destination / "build"


def dockerfile_env(dockerfile: Path) -> dict[str, str]:
    """Every ENV the Dockerfile sets, in order (continuation lines joined)."""
    env: dict[str, str] = {}
    for line in dockerfile.read_text().replace("\\\n", " ").splitlines():
        if line.startswith("ENV "):
            for pair in shlex.split(line[4:]):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def _ignore_pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore line as a regular expression over context-relative paths ("**" spans directories)."""
    if pattern.startswith("!"):
        raise ValueError(f".dockerignore exceptions are not supported here: {pattern}")
    regex = ""
    for segment in pattern.strip("/").split("/"):
        if segment == "**":
            regex += "(?:[^/]+/)*"
        else:
            regex += re.escape(segment).replace(r"\*", "[^/]*").replace(r"\?", "[^/]") + "/"
    return re.compile(regex.rstrip("/"))


def dockerignore(context: Path) -> list[re.Pattern[str]]:
    path = context / ".dockerignore"
    lines = path.read_text().splitlines() if path.is_file() else []
    return [_ignore_pattern(line.strip()) for line in lines if line.strip() and not line.startswith("#")]


def ignored(relative: str, patterns: list[re.Pattern[str]]) -> bool:
    """True when the path, or a directory above it, matches a pattern (Docker then leaves it out)."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
    return any(pattern.fullmatch(prefix) for pattern in patterns for prefix in prefixes)


# What the Dockerfile copies from the context into /home/app.
IMAGE_FILES = ("requirements.txt", "index.py", "function")


def image_root(context: Path, destination: Path) -> Path:
    """/home/app as the image has it: the copied files of the context, without what .dockerignore names."""
    patterns = dockerignore(context)
    destination.mkdir(parents=True, exist_ok=True)
    for top in IMAGE_FILES:
        source = context / top
        paths = [source] if source.is_file() else sorted(source.rglob("*"))
        for path in paths:
            relative = path.relative_to(context).as_posix()
            if ignored(relative, patterns) or path.is_dir():
                continue
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    return destination


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def function_environment(function: str, root: Path, workdir: Path, venv: Path, port: int, upstream: int,
                         overrides: Mapping[str, str]) -> dict[str, str]:
    """The process environment of the function's container: Dockerfile ENV, then stack.yml's environment.

    Paths of the image move under this machine's directories (/home/app to `root`, /tmp to the
    container's own temporary directory); gunicorn and the watchdog listen on free ports.
    """
    tmp, home = workdir / "tmp", workdir / "home"
    tmp.mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o555)  # a read-only root filesystem
    env = {"PATH": f"{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(tmp),
           "LANG": "C.UTF-8", "SECRETS_DIR": str(workdir / "secrets")}
    image = dockerfile_env(workdir / "Dockerfile")
    spec = load_stack(REPO / STACK)["functions"][function]
    for key, value in {**image, **{k: str(v) for k, v in (spec.get("environment") or {}).items()},
                       **overrides}.items():
        env[key] = str(value).replace("/tmp/", f"{tmp}/").replace("/home/app", str(root))
    env["GUNICORN_CMD_ARGS"] = env["GUNICORN_CMD_ARGS"].replace(UPSTREAM, f"127.0.0.1:{upstream}")
    env["upstream_url"] = env["upstream_url"].replace(UPSTREAM, f"127.0.0.1:{upstream}")
    env["port"] = str(port)
    return env


def write_secrets(function: str, directory: Path, values: Mapping[str, str]) -> None:
    """The function's secrets (stack.yml) as files, the way OpenFaaS mounts them."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in load_stack(REPO / STACK)["functions"][function].get("secrets") or []:
        (directory / name).write_text(values[name])


@dataclass
class Running:
    """A function container: of-watchdog and its gunicorn."""

    function: str
    process: subprocess.Popen
    port: int
    log: Path
    started: float  # time.perf_counter() just before the watchdog was spawned

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def processes(self) -> list:
        import psutil

        watchdog = psutil.Process(self.process.pid)
        return [watchdog, *watchdog.children(recursive=True)]

    def memory(self) -> tuple[int, int]:
        """(RSS, PSS) in bytes of the watchdog, gunicorn's master and its workers together."""
        rss = pss = 0
        for process in self.processes():
            info = process.memory_full_info()
            rss, pss = rss + info.rss, pss + info.pss
        return rss, pss

    def wait_ready(self, limit: float = START_LIMIT_SECONDS) -> float:
        """Poll /_/ready until it answers 200; seconds since the spawn."""
        deadline = time.monotonic() + limit
        while True:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.function} never became ready (exit {self.process.poll()}):\n"
                                   f"{self.log_text()[-4000:]}")
            try:
                if httpx.get(self.url + READY_PATH, timeout=5).status_code == 200:
                    return time.perf_counter() - self.started
            except httpx.TransportError:
                pass
            time.sleep(0.02)


@dataclass
class Deployment:
    """What a function needs from outside: its build, the runtime venv, secrets and service addresses."""

    build: Path
    venv: Path
    secrets: Mapping[str, str]
    environment: Mapping[str, str]  # replaces stack.yml's values that point at the VPS (REDIS_URL)

    @contextlib.contextmanager
    def run(self, function: str, workdir: Path, overrides: Mapping[str, str] | None = None,
            wait: bool = True) -> Iterator[Running]:
        """Start `function` under of-watchdog (ready unless wait=False), stop it on leaving."""
        workdir.mkdir(parents=True, exist_ok=True)
        context = self.build / function
        shutil.copy2(context / "Dockerfile", workdir / "Dockerfile")
        root = workdir / "home-app"
        if not root.exists():
            compile_bytecode(self.venv, image_root(context, root))
        write_secrets(function, workdir / "secrets", self.secrets)
        with _exclusive(WATCHDOG_LOCK):
            env = function_environment(function, root, workdir, self.venv, free_port(), free_port(),
                                       {**self.environment, **(overrides or {})})
            log_path = workdir / "watchdog.log"
            with log_path.open("wb") as log:
                started = time.perf_counter()
                process = subprocess.Popen([str(fwatchdog())], cwd=root, env=env, stdout=log,
                                           stderr=subprocess.STDOUT, start_new_session=True,
                                           preexec_fn=_end_with_parent)
            running = Running(function, process, int(env["port"]), log_path, started)
            try:
                if wait:
                    running.wait_ready()
                yield running
            finally:
                stop(process)


def container_processes(process: subprocess.Popen) -> list:
    """Every live process of the container's process group (the watchdog started its own session), also
    once the watchdog itself has exited."""
    import psutil

    members = []
    for candidate in psutil.process_iter():
        try:
            if os.getpgid(candidate.pid) == process.pid:
                members.append(candidate)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return members


def gunicorn_master(process: subprocess.Popen) -> int | None:
    """The pid of gunicorn's master in the container: the member whose parent is no other gunicorn."""
    members = container_processes(process)
    others = {member.pid for member in members} - {process.pid}
    for member in members:
        try:
            if member.pid != process.pid and member.ppid() not in others:
                return member.pid
        except Exception:  # noqa: BLE001 (psutil.NoSuchProcess: it ended meanwhile)
            continue
    return None


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """End a function container: gunicorn stops gracefully at once (SIGALRM, see shared.gunicorn_conf:
    it finishes what it serves), then whatever is left of the container is killed.

    In production the watchdog gets SIGTERM, forwards it to gunicorn, keeps its port open for
    healthcheck_interval (a load balancer drains) and gunicorn keeps serving meanwhile;
    tests/runtime/test_redeploy.py runs that sequence. Nothing is routed here, so this skips the wait.
    """
    import psutil

    master = gunicorn_master(process)
    try:
        if master is not None:
            os.kill(master, signal.SIGALRM)
            psutil.wait_procs([p for p in container_processes(process) if p.pid != process.pid],
                              timeout=timeout)
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, psutil.NoSuchProcess):
        pass
    process.wait()
